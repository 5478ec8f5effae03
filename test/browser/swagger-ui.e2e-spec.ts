import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { uniqueEmail } from '../support/given';
import { createTestApp, dropSchema, TestApp } from '../support/test-app';

/**
 * The API working in Swagger UI in a real browser (Debian's Chromium driven by
 * playwright-core): open /api/docs, log in through "Try it out", authorize with the token
 * the response shows, call GET /api/auth/me the same way, and keep a screenshot.
 * Runs once, on SQLite; skipped where /usr/bin/chromium is missing (a fresh machine:
 * `apt-get install chromium`; .ci/run installs it).
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const reason = process.env.TEST_DATABASE_URL
  ? 'runs on SQLite only; skipped on PostgreSQL (TEST_DATABASE_URL is set)'
  : !existsSync(CHROMIUM)
    ? `${CHROMIUM} not found; install Debian's chromium to run it`
    : null;
if (reason) console.log(`test/browser/swagger-ui: ${reason}`);

(reason ? describe.skip : describe)('Swagger UI in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  const consoleErrors: string[] = [];
  const email = uniqueEmail('browser');
  const password = 'correct horse battery staple';

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    // a CSP violation or a script error shows here
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await dropSchema();
  });

  /** Expands an operation, presses "Try it out", optionally fills its JSON body, executes, and returns the response body shown. */
  async function tryItOut(operationId: string, body?: object): Promise<{ op: Locator; status: string; text: string }> {
    const op = page.locator(`[id$="-${operationId}"]`).first();
    if (!(await op.locator('.try-out__btn').isVisible())) await op.locator('.opblock-summary').first().click();
    await op.locator('.try-out__btn').click();
    if (body) await op.locator('textarea.body-param__text').fill(JSON.stringify(body));
    await op.locator('button.execute').click();
    const response = op.locator('.live-responses-table .response').first();
    await response.waitFor({ timeout: 15_000 });
    const status = (await response.locator('.response-col_status').innerText()).trim();
    const text = await response.locator('.response-col_description .microlight').first().innerText();
    return { op, status, text };
  }

  it('logs in through "Try it out", authorizes with the token and shows GET /api/auth/me for that user', async () => {
    await t.http().post('/api/auth/register').send({ email, password, displayName: 'Browser User' }).expect(201);

    await page.goto(`${base}/api/docs`, { waitUntil: 'networkidle' });
    await page.locator('.swagger-ui .information-container').waitFor({ timeout: 15_000 });
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('NullPass API');

    const login = await tryItOut('AuthController_login', { email, password });
    expect(login.status).toBe('200');
    const token = (JSON.parse(login.text) as { token: string }).token;
    expect(token.split('.')).toHaveLength(3);

    // Authorize: the bearer scheme's dialog takes the token alone
    await page.locator('.scheme-container button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    const bearerScheme = dialog.locator('.auth-container').filter({ hasText: 'bearer' }).first();
    await bearerScheme.locator('input').fill(token);
    await bearerScheme.locator('button.authorize').click();
    await bearerScheme.locator('button[aria-label="Remove authorization"]').waitFor();
    await dialog.locator('button.close-modal').click();

    const me = await tryItOut('ProfileController_me');
    expect(me.status).toBe('200');
    expect(me.text).toContain(email);
    expect((JSON.parse(me.text) as { user: { email: string } }).user.email).toBe(email);
    // the request Swagger UI shows was made with the token
    expect(await me.op.locator('.curl-command').first().innerText()).toContain(`Authorization: Bearer ${token}`);

    mkdirSync(ARTIFACTS, { recursive: true });
    await me.op.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'swagger-ui.png'), fullPage: false });
    expect(existsSync(join(ARTIFACTS, 'swagger-ui.png'))).toBe(true);
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
