import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { In, IsNull, Not } from 'typeorm';
import { Clock } from '../common/clock';
import { polarConfig } from '../config/configuration';
import { Entitlement } from '../connect/entities/entitlement.entity';
import { UnitOfWork } from '../database/unit-of-work';
import { CancellationOutbox } from './entities/cancellation-outbox.entity';

/**
 * Queues the cancellation of every Polar subscription a user holds, in the caller's
 * transaction (disable, ban, delete), so the account change and the promise to cancel
 * commit together and nothing is lost (flaw 8). With no POLAR_ACCESS_TOKEN nothing is
 * queued: there is nothing we could send.
 */
@Injectable()
export class CancellationOutboxService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    @Inject(polarConfig.KEY) private readonly polar: ConfigType<typeof polarConfig>,
  ) {}

  async enqueueForUser(userId: string): Promise<number> {
    if (!this.polar.accessToken) return 0;
    const m = this.uow.manager;
    const subscriptions = await m.getRepository(Entitlement).find({
      select: { polarSubscriptionId: true },
      where: { userId, polarSubscriptionId: Not(IsNull()) },
    });
    const ids = [...new Set(subscriptions.map((e) => e.polarSubscriptionId as string))];
    if (!ids.length) return 0;
    const outbox = m.getRepository(CancellationOutbox);
    // One live row per subscription: a second disable does not queue it twice.
    const queued = await outbox.find({ select: { subscriptionId: true }, where: { subscriptionId: In(ids), status: 'pending' } });
    const fresh = ids.filter((id) => !queued.some((q) => q.subscriptionId === id));
    const now = this.clock.now();
    if (fresh.length) {
      await outbox.insert(
        fresh.map((subscriptionId) =>
          outbox.create({ subscriptionId, status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now }),
        ),
      );
    }
    return fresh.length;
  }
}
