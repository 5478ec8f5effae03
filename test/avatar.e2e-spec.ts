import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { User } from '../src/auth/entities/user.entity';
import { Messages } from '../src/common/messages';
import { DELETE_ACCOUNT, IMAGES, auditRows, callAccount, pngOfSize, userRow } from './support/account';
import { bearer, givenUser, type GivenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const INTERNAL_SECRET = 'internal-secret-for-avatar-tests-0123456789';
const MIB = 1024 * 1024;

/** Reads a binary body as a Buffer whatever its content type. */
function binary(res: unknown, cb: (err: Error | null, body: Buffer) => void): void {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

describe('Avatars', () => {
  let t: TestApp;
  const avatarDir = resolve(process.env.AVATAR_DIR as string);

  beforeAll(async () => {
    t = await createTestApp({ env: { INTERNAL_SECRET } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const upload = (user: GivenUser, bytes: Buffer, filename = 'avatar.png', contentType = 'image/png') =>
    t.http().post('/api/avatar').set(bearer(user.token)).attach('avatar', bytes, { filename, contentType });
  const getMine = (user: GivenUser) => t.http().get('/api/avatar').set(bearer(user.token)).buffer(true).parse(binary);
  const getInternal = (userId: string, secret: string | null = INTERNAL_SECRET) => {
    const req = t.http().get(`/api/avatar/${userId}`).buffer(true).parse(binary);
    return secret === null ? req : req.set('X-Internal-Secret', secret);
  };
  const filesOf = (userId: string) => (existsSync(join(avatarDir, userId)) ? readdirSync(join(avatarDir, userId)) : []);
  const avatarUpdates = async (userId: string) =>
    (await auditRows(t, userId)).filter((e) => e.action === 'USER_UPDATE' && JSON.stringify(e.data) === JSON.stringify({ fields: ['avatar'] }));

  describe('POST /api/avatar', () => {
    it.each([
      ['png', 'image/png'],
      ['jpg', 'image/jpeg'],
      ['webp', 'image/webp'],
      ['gif', 'image/gif'],
    ] as const)('stores a %s under a generated name and serves it back as %s', async (ext, contentType) => {
      const user = await givenUser(t);
      const res = await upload(user, IMAGES[ext], `photo.${ext}`, contentType).expect(200);
      expect(res.body).toEqual({ avatar: expect.stringMatching(new RegExp(`^${user.id}/[0-9a-f]{32}\\.${ext}$`)), message: Messages.avatarUploaded });
      expect(readFileSync(join(avatarDir, res.body.avatar))).toEqual(IMAGES[ext]);
      expect((await userRow(t, user.id))?.avatar).toBe(res.body.avatar);
      expect(await avatarUpdates(user.id)).toHaveLength(1);
      const got = await getMine(user).expect(200);
      expect(got.headers['content-type']).toBe(contentType);
      expect(got.headers['cache-control']).toBe('private, max-age=3600');
      expect(got.body).toEqual(IMAGES[ext]);
    });

    it("judges the type by the file's bytes, not by its name or declared type", async () => {
      const user = await givenUser(t);
      const res = await upload(user, IMAGES.png, 'page.html', 'text/html').expect(200);
      expect(res.body.avatar).toMatch(/\.png$/);
      const got = await getMine(user).expect(200);
      expect(got.headers['content-type']).toBe('image/png');
    });

    it.each([
      ['text named .png', Buffer.from('hello, not an image'), 'a.png', 'image/png'],
      ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'a.svg', 'image/svg+xml'],
      ['HTML named .gif', Buffer.from('<!doctype html><script>alert(1)</script>'), 'a.gif', 'image/gif'],
      ['a truncated PNG signature', IMAGES.png.subarray(0, 4), 'a.png', 'image/png'],
      ['RIFF that is not WebP', Buffer.from('RIFF\u0024\u0000\u0000\u0000WAVEfmt '), 'a.webp', 'image/webp'],
    ])('answers 400 "Invalid file type. Allowed types: JPEG, PNG, WebP, GIF" for %s, storing nothing', async (_what, bytes, filename, type) => {
      const user = await givenUser(t);
      const res = await upload(user, bytes, filename, type).expect(400);
      expect(res.body).toEqual({ error: Messages.invalidFileType });
      expect(filesOf(user.id)).toEqual([]);
      expect((await userRow(t, user.id))?.avatar).toBeNull();
      expect(await avatarUpdates(user.id)).toHaveLength(0);
    });

    it('answers 400 "No file provided" without a file', async () => {
      const user = await givenUser(t);
      const json = await t.http().post('/api/avatar').set(bearer(user.token)).send({}).expect(400);
      expect(json.body).toEqual({ error: Messages.noFile });
      const fieldOnly = await t.http().post('/api/avatar').set(bearer(user.token)).field('note', 'no file here').expect(400);
      expect(fieldOnly.body).toEqual({ error: Messages.noFile });
      const empty = await upload(user, Buffer.alloc(0)).expect(400);
      expect(empty.body).toEqual({ error: Messages.noFile });
      expect(filesOf(user.id)).toEqual([]);
      expect(await avatarUpdates(user.id)).toHaveLength(0);
    });

    it('answers 400 for a file in another field, and for two files', async () => {
      const user = await givenUser(t);
      await t.http().post('/api/avatar').set(bearer(user.token)).attach('file', IMAGES.png, 'a.png').expect(400);
      await t.http().post('/api/avatar').set(bearer(user.token)).attach('avatar', IMAGES.png, 'a.png').attach('avatar', IMAGES.gif, 'b.gif').expect(400);
      expect(filesOf(user.id)).toEqual([]);
    });

    it('accepts exactly 2 MiB', async () => {
      const user = await givenUser(t);
      const res = await upload(user, pngOfSize(2 * MIB)).expect(200);
      const got = await getMine(user).expect(200);
      expect(got.body.length).toBe(2 * MIB);
      expect(res.body.avatar).toMatch(/\.png$/);
    });

    it.each([
      ['2 MiB + 1 byte', 2 * MIB + 1],
      ['5 MiB', 5 * MIB],
    ])('answers 400 "File too large. Maximum size is 2MB" for %s (not 413), storing nothing', async (_what, size) => {
      const user = await givenUser(t);
      const res = await upload(user, pngOfSize(size)).expect(400);
      expect(res.body).toEqual({ error: Messages.fileTooLarge });
      expect(filesOf(user.id)).toEqual([]);
      expect(await avatarUpdates(user.id)).toHaveLength(0);
    });

    it('replaces the previous file: the old one is removed after the new one is stored', async () => {
      const user = await givenUser(t);
      const first = await upload(user, IMAGES.png).expect(200);
      const second = await upload(user, IMAGES.gif, 'b.gif', 'image/gif').expect(200);
      expect(second.body.avatar).not.toBe(first.body.avatar);
      expect(filesOf(user.id)).toEqual([second.body.avatar.split('/')[1]]);
      expect((await getMine(user).expect(200)).body).toEqual(IMAGES.gif);
      expect(await avatarUpdates(user.id)).toHaveLength(2);
    });

    it('a refused upload keeps the current avatar', async () => {
      const user = await givenUser(t);
      const first = await upload(user, IMAGES.webp, 'a.webp', 'image/webp').expect(200);
      await upload(user, Buffer.from('nope'), 'b.png').expect(400);
      await upload(user, pngOfSize(3 * MIB)).expect(400);
      expect((await userRow(t, user.id))?.avatar).toBe(first.body.avatar);
      expect((await getMine(user).expect(200)).body).toEqual(IMAGES.webp);
    });

    it('two uploads at once leave exactly one file, the one the account points at', async () => {
      const user = await givenUser(t);
      const [a, b] = await Promise.all([upload(user, IMAGES.png).then((r) => r), upload(user, IMAGES.jpg, 'b.jpg', 'image/jpeg').then((r) => r)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const stored = (await userRow(t, user.id))?.avatar as string;
      expect([a.body.avatar, b.body.avatar]).toContain(stored);
      expect(filesOf(user.id)).toEqual([stored.split('/')[1]]);
    });

    it('needs a token', async () => {
      const res = await t.http().post('/api/avatar').attach('avatar', IMAGES.png, 'a.png').expect(401);
      expect(res.body).toEqual({ error: Messages.unauthorized });
    });
  });

  describe('GET /api/avatar', () => {
    it('answers 404 "Avatar not found" without an avatar', async () => {
      const user = await givenUser(t);
      const res = await t.http().get('/api/avatar').set(bearer(user.token)).expect(404);
      expect(res.body).toEqual({ error: Messages.avatarNotFound });
    });

    it('redirects (302) to an https avatar URL', async () => {
      const user = await givenUser(t);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ avatar: 'https://cdn.example.com/me.png' }).expect(200);
      const res = await t.http().get('/api/avatar').set(bearer(user.token)).redirects(0).expect(302);
      expect(res.headers.location).toBe('https://cdn.example.com/me.png');
    });

    it('answers 404 when the stored file has gone', async () => {
      const user = await givenUser(t);
      const up = await upload(user, IMAGES.png).expect(200);
      rmSync(join(avatarDir, up.body.avatar));
      await t.http().get('/api/avatar').set(bearer(user.token)).expect(404);
    });
  });

  describe('GET /api/avatar/:userId (sibling services)', () => {
    it('serves a user avatar with X-Internal-Secret', async () => {
      const user = await givenUser(t);
      await upload(user, IMAGES.gif, 'a.gif', 'image/gif').expect(200);
      const res = await getInternal(user.id).expect(200);
      expect(res.headers['content-type']).toBe('image/gif');
      expect(res.headers['cache-control']).toBe('private, max-age=3600');
      expect(res.body).toEqual(IMAGES.gif);
    });

    it('answers 401 without the secret or with a wrong one, even with a bearer token', async () => {
      const user = await givenUser(t);
      await upload(user, IMAGES.png).expect(200);
      const none = await t.http().get(`/api/avatar/${user.id}`).set(bearer(user.token)).expect(401);
      expect(none.body).toEqual({ error: Messages.unauthorized });
      await getInternal(user.id, 'wrong-secret').expect(401);
      await getInternal(user.id, `${INTERNAL_SECRET}x`).expect(401);
    });

    it('answers 404 "Avatar not found" for an unknown user, a malformed id, or no avatar; 302 for an https avatar', async () => {
      const missing = await t.http().get('/api/avatar/00000000-0000-4000-8000-000000000000').set('X-Internal-Secret', INTERNAL_SECRET).expect(404);
      expect(missing.body).toEqual({ error: Messages.avatarNotFound });
      const malformed = await t.http().get('/api/avatar/not-a-uuid').set('X-Internal-Secret', INTERNAL_SECRET).expect(404);
      expect(malformed.body).toEqual({ error: Messages.avatarNotFound });
      const user = await givenUser(t);
      await t.http().get(`/api/avatar/${user.id}`).set('X-Internal-Secret', INTERNAL_SECRET).expect(404);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ avatar: 'https://img.example.net/u.webp' }).expect(200);
      const redirect = await t.http().get(`/api/avatar/${user.id}`).set('X-Internal-Secret', INTERNAL_SECRET).redirects(0).expect(302);
      expect(redirect.headers.location).toBe('https://img.example.net/u.webp');
    });
  });

  describe('PATCH /api/auth/me and the stored file', () => {
    it('refuses control characters in avatar and displayName with 400 (a NUL byte was a PostgreSQL 500)', async () => {
      const user = await givenUser(t);
      const avatar = await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ avatar: 'https://a.example/\u0001x' }).expect(400);
      expect(avatar.body.error).toBe('avatar must be an https:// URL or empty');
      const name = await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'a\u0007b' }).expect(400);
      expect(name.body.error).toBe('displayName must not contain control characters');
      for (const body of [{ avatar: 'https://a.example/\u0000x' }, { displayName: 'a\u0000b' }]) {
        const res = await t.http().patch('/api/auth/me').set(bearer(user.token)).send(body).expect(400);
        expect(res.body.error).toEqual(expect.any(String));
      }
      expect(await userRow(t, user.id)).toMatchObject({ avatar: null, displayName: null });
    });

    it('replacing an uploaded avatar with an https URL removes the file', async () => {
      const user = await givenUser(t);
      const up = await upload(user, IMAGES.png).expect(200);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ avatar: 'https://cdn.example.com/new.png' }).expect(200);
      expect(existsSync(join(avatarDir, up.body.avatar))).toBe(false);
      expect((await userRow(t, user.id))?.avatar).toBe('https://cdn.example.com/new.png');
    });

    it('clearing it ("") removes the file; a display-name change leaves it alone', async () => {
      const user = await givenUser(t);
      const up = await upload(user, IMAGES.jpg, 'a.jpg', 'image/jpeg').expect(200);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'Keeps the file' }).expect(200);
      expect(existsSync(join(avatarDir, up.body.avatar))).toBe(true);
      const res = await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ avatar: '' }).expect(200);
      expect(res.body.user.avatar).toBeNull();
      expect(existsSync(join(avatarDir, up.body.avatar))).toBe(false);
      await t.http().get('/api/avatar').set(bearer(user.token)).expect(404);
    });
  });

  /**
   * Flaw 15: the original joined any avatar value onto a directory, so a crafted value
   * read or deleted files on the server. A canary file sits right beside AVATAR_DIR (and
   * one inside another user's folder); no request may serve or delete it.
   */
  describe('no value can name a file outside the user’s own avatar folder (flaw 15)', () => {
    const canaryName = `canary${randomBytes(4).toString('hex')}.png`;
    const canaryPath = join(dirname(avatarDir), canaryName);
    const canaryBytes = Buffer.concat([IMAGES.png, Buffer.from(`CANARY-${canaryName}`)]);
    let victim: GivenUser;
    let neighbour: GivenUser;
    let neighbourFile: string;

    beforeAll(async () => {
      mkdirSync(dirname(canaryPath), { recursive: true });
      writeFileSync(canaryPath, canaryBytes);
      victim = await givenUser(t);
      neighbour = await givenUser(t);
      neighbourFile = (await upload(neighbour, IMAGES.gif, 'n.gif', 'image/gif').expect(200)).body.avatar;
    });
    afterAll(() => rmSync(canaryPath, { force: true }));

    const canarySurvives = () => {
      expect(readFileSync(canaryPath)).toEqual(canaryBytes);
      expect(readFileSync(join(avatarDir, neighbourFile))).toEqual(IMAGES.gif);
    };

    it.each([
      ['../x', `../${canaryName}`],
      ['file:', `file://${canaryPath}`],
      ['an absolute path', canaryPath],
      ['http:', 'http://cdn.example.com/a.png'],
      ['javascript:', 'javascript:alert(1)'],
      ['data:', `data:image/png;base64,${IMAGES.png.toString('base64')}`],
      ['ftp:', 'ftp://example.com/a.png'],
      ['an encoded ../', `%2e%2e%2f${canaryName}`],
      ['a stored-looking path', '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20/3f9a1c0e7b2d4e6f.png'],
      ['a protocol-relative URL', '//evil.example.com/a.png'],
      ['https with a line break', 'https://cdn.example.com/a.png\r\nSet-Cookie: x=1'],
      ['https with a NUL byte', 'https://cdn.example.com/a.png\u0000/../x'],
    ])('PATCH /api/auth/me refuses %s as avatar with 400', async (_what, value) => {
      const res = await t.http().patch('/api/auth/me').set(bearer(victim.token)).send({ avatar: value }).expect(400);
      expect(res.body.error).toEqual(expect.any(String));
      expect((await userRow(t, victim.id))?.avatar).toBeNull();
    });

    // Values the API never writes, set straight in storage: older data, another writer,
    // or an attacker with a foothold in the database must still not reach the disk.
    const crafted = (): [string, string][] => [
      ['../', `../${canaryName}`],
      ['../../ from the user folder', `${victim.id}/../../${canaryName}`],
      ['an absolute path', canaryPath],
      ['file:', `file://${canaryPath}`],
      ['file: on localhost', `file://localhost${canaryPath}`],
      ['encoded separators', `${victim.id}/..%2f..%2f${canaryName}`],
      ['encoded ../', `%2e%2e%2f${canaryName}`],
      ['double-encoded ../', `%252e%252e%252f${canaryName}`],
      ['backslashes', `${victim.id}\\..\\..\\${canaryName}`],
      // PostgreSQL cannot even store a NUL byte in text; SQLite can.
      ...(t.dataSource.options.type === 'postgres' ? [] : ([['a NUL byte', `${victim.id}/abc.png\u0000/../../${canaryName}`]] as [string, string][])),
      ['another user’s file', neighbourFile],
      ['the user folder itself', victim.id],
      ['upper-case name', `${victim.id}/ABC.PNG`],
      ['http:', `http://127.0.0.1:9/${canaryName}`],
    ];

    it('GET /api/avatar and GET /api/avatar/:userId answer 404 for every crafted value and never serve the canary', async () => {
      const users = t.dataSource.getRepository(User);
      for (const [what, value] of crafted()) {
        await users.update({ id: victim.id }, { avatar: value });
        const mine = await getMine(victim);
        const internal = await getInternal(victim.id);
        expect({ what, mine: mine.status, internal: internal.status }).toEqual({ what, mine: 404, internal: 404 });
        for (const body of [mine.body, internal.body]) expect(body.includes(Buffer.from('CANARY'))).toBe(false);
      }
      canarySurvives();
    });

    it('replacing a crafted value (upload, PATCH, clear) deletes nothing outside the folder', async () => {
      const users = t.dataSource.getRepository(User);
      for (const [, value] of crafted()) {
        await users.update({ id: victim.id }, { avatar: value });
        const up = await upload(victim, IMAGES.png).expect(200);
        await users.update({ id: victim.id }, { avatar: value });
        await t.http().patch('/api/auth/me').set(bearer(victim.token)).send({ avatar: 'https://cdn.example.com/v.png' }).expect(200);
        await users.update({ id: victim.id }, { avatar: value });
        await t.http().patch('/api/auth/me').set(bearer(victim.token)).send({ avatar: '' }).expect(200);
        // The upload's own file was orphaned by the crafted value, not deleted by it.
        rmSync(join(avatarDir, up.body.avatar), { force: true });
      }
      canarySurvives();
    });

    it('a symbolic link planted in the folder is neither followed nor its target deleted', async () => {
      const user = await givenUser(t);
      await upload(user, IMAGES.png).expect(200);
      const linkName = 'abc123.png';
      symlinkSync(canaryPath, join(avatarDir, user.id, linkName));
      await t.dataSource.getRepository(User).update({ id: user.id }, { avatar: `${user.id}/${linkName}` });
      const res = await getMine(user);
      expect(res.status).toBe(404);
      expect(res.body.includes(Buffer.from('CANARY'))).toBe(false);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ avatar: '' }).expect(200);
      canarySurvives();
    });

    it('a user folder that is a link to elsewhere is not served from, and deleting the account leaves the target alone', async () => {
      const user = await givenUser(t);
      symlinkSync(dirname(canaryPath), join(avatarDir, user.id));
      await t.dataSource.getRepository(User).update({ id: user.id }, { avatar: `${user.id}/${canaryName}` });
      const res = await getMine(user);
      expect(res.status).toBe(404);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ avatar: 'https://cdn.example.com/x.png' }).expect(200);
      canarySurvives();
      await t.dataSource.getRepository(User).update({ id: user.id }, { avatar: `${user.id}/${canaryName}` });
      await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(200);
      canarySurvives();
      expect(existsSync(join(avatarDir, user.id))).toBe(false);
    });

    it('deleting an account whose value is crafted removes only its own folder', async () => {
      const user = await givenUser(t);
      const up = await upload(user, IMAGES.png).expect(200);
      await t.dataSource.getRepository(User).update({ id: user.id }, { avatar: `../${canaryName}` });
      await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(200);
      expect(existsSync(join(avatarDir, up.body.avatar))).toBe(false);
      canarySurvives();
    });
  });
});
