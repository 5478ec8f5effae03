import { Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { lockUser } from '../account/locked-user';
import { AuditContext } from '../audit/audit-context';
import { AuditService } from '../audit/audit.service';
import { User, type UserRole } from '../auth/entities/user.entity';
import { Clock } from '../common/clock';
import { Messages } from '../common/messages';
import { normaliseEmail } from '../common/validation';
import { UnitOfWork } from '../database/unit-of-work';
import type { RoleResponse } from './dto/admin.dto';

/**
 * The `admin` role. The first administrator is made on the server with
 * `npm run admin:grant -- <email>` (grantByEmail, no actor); administrators then grant
 * and revoke it over HTTP (setRole). Both are audited USER_UPDATE `{field:"role"}` on
 * the target's log.
 */
@Injectable()
export class AdminRoleService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly auditContext: AuditContext,
  ) {}

  /** For the CLI (and tests): no request, so the event is recorded directly. */
  async grantByEmail(email: string): Promise<{ user: User; changed: boolean }> {
    const normalised = normaliseEmail(email) as string;
    return this.uow.run(async (m) => {
      const user = await m.getRepository(User).findOneBy({ email: normalised });
      if (!user) throw new NotFoundException(Messages.userNotFound);
      const changed = await this.apply(m, user, 'admin');
      if (changed) {
        await this.audit.record([{ action: 'USER_UPDATE', userId: user.id, actorId: null, data: { field: 'role', value: 'admin', via: 'cli' } }]);
      }
      return { user, changed };
    });
  }

  /** For the admin routes (declared @Audit('USER_UPDATE')); a no-op writes no event. */
  async setRole(targetId: string, role: UserRole, adminId: string): Promise<RoleResponse> {
    return this.uow.run(async (m) => {
      // locked: a deletion racing this change either waits for it or is waited for (then 404)
      const user = await lockUser(m, targetId);
      if (await this.apply(m, user, role)) {
        this.auditContext.subject(targetId, adminId);
        this.auditContext.add({ field: 'role', value: role, by: adminId });
      } else {
        this.auditContext.skip();
      }
      return { success: true, user: { id: user.id, email: user.email, role: user.role } };
    });
  }

  private async apply(m: EntityManager, user: User, role: UserRole): Promise<boolean> {
    if (user.role === role) return false;
    const updatedAt = this.clock.now();
    await m.getRepository(User).update({ id: user.id }, { role, updatedAt });
    user.role = role;
    user.updatedAt = updatedAt;
    return true;
  }
}
