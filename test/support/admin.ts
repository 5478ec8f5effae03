import { AdminRoleService } from '../../src/admin/admin-role.service';
import type { ServiceName } from '../../src/common/services';
import { bearer, givenUser, type GivenUser } from './given';
import type { TestApp } from './test-app';

/** An administrator, made the way `npm run admin:grant -- <email>` makes one. */
export async function givenAdmin(t: TestApp): Promise<GivenUser> {
  const user = await givenUser(t);
  await t.app.get(AdminRoleService).grantByEmail(user.email);
  return user;
}

/** An administrator sets a user's entitlement (PATCH /api/admin/users/:userId). */
export async function givenEntitlement(
  t: TestApp,
  admin: GivenUser,
  user: GivenUser,
  body: { service: ServiceName; tier?: string; isPremium?: boolean },
): Promise<Record<string, unknown>> {
  const res = await t.http().patch(`/api/admin/users/${user.id}`).set(bearer(admin.token)).send(body).expect(200);
  return res.body.entitlement as Record<string, unknown>;
}

export { auditEvents } from './given';
