import { ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import { IsNull, Not } from 'typeorm';
import { AuditContext } from '../audit/audit-context';
import { SessionUser, User } from '../auth/entities/user.entity';
import { Clock } from '../common/clock';
import { Messages } from '../common/messages';
import type { ServiceName } from '../common/services';
import { isUniqueViolation } from '../database/db-errors';
import { UnitOfWork } from '../database/unit-of-work';
import type { CustomDomainResponse, DomainConnectedResponse, DomainDisconnectedResponse } from './dto/custom-domain.dto';
import { Entitlement } from './entities/entitlement.entity';

/** Custom domains are a DROP enterprise feature. */
export const CUSTOM_DOMAIN_SERVICE: ServiceName = 'DROP';
export const CUSTOM_DOMAIN_TIER = 'enterprise';

/**
 * One custom domain per user, unique across users. Uniqueness is the database's
 * UNIQUE index on the lower-cased users.custom_domain, so two concurrent claims of
 * one domain end as one success and one 409, with no check-then-write race.
 */
@Injectable()
export class CustomDomainService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly auditContext: AuditContext,
  ) {}

  async get(user: SessionUser): Promise<CustomDomainResponse> {
    await this.requireEnterprise(user.id);
    return {
      customDomain: user.customDomain,
      customDomainVerified: user.customDomainVerified,
      hasCustomDomain: user.customDomain !== null,
    };
  }

  /** `domain` arrives validated, trimmed and lower-cased (CustomDomainDto). */
  async connect(user: SessionUser, domain: string): Promise<DomainConnectedResponse> {
    await this.requireEnterprise(user.id);
    try {
      await this.uow.run(async (m) => {
        await m.getRepository(User).update(
          { id: user.id },
          {
            customDomain: domain,
            // Re-sending the same domain keeps its verification; a new one starts unverified.
            customDomainVerified: user.customDomain === domain ? user.customDomainVerified : false,
            updatedAt: this.clock.now(),
          },
        );
        this.auditContext.add({ field: 'customDomain', value: domain });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(Messages.domainInUse);
      throw error;
    }
    return { success: true, domain, message: Messages.domainConnected };
  }

  async disconnect(user: SessionUser): Promise<DomainDisconnectedResponse> {
    await this.requireEnterprise(user.id);
    await this.uow.run(async (m) => {
      const result = await m
        .getRepository(User)
        .update({ id: user.id, customDomain: Not(IsNull()) }, { customDomain: null, customDomainVerified: false, updatedAt: this.clock.now() });
      if (result.affected) this.auditContext.add({ field: 'customDomain', value: null });
      else this.auditContext.skip();
    });
    return { success: true, message: Messages.domainDisconnected };
  }

  private async requireEnterprise(userId: string): Promise<void> {
    const entitlement = await this.uow.manager
      .getRepository(Entitlement)
      .findOne({ select: { tier: true }, where: { userId, service: CUSTOM_DOMAIN_SERVICE } });
    if (entitlement?.tier !== CUSTOM_DOMAIN_TIER) throw new ForbiddenException(Messages.enterpriseRequired);
  }
}
