import { BadGatewayException, BadRequestException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import type { SessionUser } from '../auth/entities/user.entity';
import { Messages } from '../common/messages';
import type { ServiceName } from '../common/services';
import { polarConfig } from '../config/configuration';
import { Entitlement } from '../connect/entities/entitlement.entity';
import { BILLING_CYCLES, type BillingCycle, SubscriptionResponse } from './dto/billing.dto';
import { PolarClient, PolarError } from './polar.client';

const unixSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * The caller-facing side of billing: what Polar says about the caller's subscription,
 * and the checkout and portal links. Nothing here is awaited inside a transaction.
 */
@Injectable()
export class BillingService {
  private readonly logger = new Logger(BillingService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly polar: PolarClient,
    @Inject(polarConfig.KEY) private readonly config: ConfigType<typeof polarConfig>,
  ) {}

  async subscription(user: SessionUser, service: ServiceName): Promise<SubscriptionResponse> {
    const entitlement = await this.dataSource
      .getRepository(Entitlement)
      .findOne({ select: { tier: true, polarSubscriptionId: true }, where: { userId: user.id, service } });
    if (!entitlement?.polarSubscriptionId) throw new NotFoundException(Messages.noActiveSubscription);
    let sub;
    try {
      sub = await this.polar.getSubscription(entitlement.polarSubscriptionId);
    } catch (error) {
      if (error instanceof PolarError && error.status === 404) throw new NotFoundException(Messages.noActiveSubscription);
      this.logFailure('subscription fetch', error, service);
      throw new BadGatewayException(Messages.subscriptionFetchFailed);
    }
    const plan = typeof sub.metadata.plan === 'string' ? sub.metadata.plan : entitlement.tier;
    const cycle = sub.metadata.billingCycle;
    const billingCycle: BillingCycle = isBillingCycle(cycle) ? cycle : sub.recurring_interval === 'year' ? 'yearly' : 'monthly';
    return {
      id: sub.id,
      status: sub.status,
      currentPeriodStart: unixSeconds(sub.current_period_start),
      currentPeriodEnd: sub.current_period_end ? unixSeconds(sub.current_period_end) : null,
      cancelAtPeriodEnd: sub.cancel_at_period_end,
      plan,
      billingCycle,
      price: { amount: sub.amount, currency: sub.currency, interval: sub.recurring_interval },
      product: { name: sub.product?.name ?? null },
    };
  }

  /** A Polar checkout for the product configured for plan and cycle (POLAR_PRODUCTS). */
  async checkoutUrl(user: SessionUser, service: ServiceName, plan: string | undefined, billingCycle: string | undefined): Promise<string> {
    if (!plan || !billingCycle) throw new BadRequestException(Messages.missingPlan);
    const productId = isBillingCycle(billingCycle) ? this.config.products[`${plan}:${billingCycle}`] : undefined;
    if (!productId) throw new BadRequestException(Messages.invalidPlan);
    try {
      const checkout = await this.polar.createCheckout({
        products: [productId],
        // Polar copies these onto the subscription: its webhooks name the user and plan.
        metadata: { userId: user.id, plan, billingCycle, service },
        customer_metadata: { userId: user.id },
        customer_email: user.email,
      });
      return checkout.url;
    } catch (error) {
      this.logFailure('checkout', error, service);
      throw new BadGatewayException(Messages.checkoutFailed);
    }
  }

  /** A Polar customer portal session for the caller's Polar customer. */
  async portalUrl(user: SessionUser): Promise<string> {
    if (!user.polarCustomerId) throw new BadRequestException(Messages.noPolarCustomer);
    try {
      return (await this.polar.createCustomerSession(user.polarCustomerId)).customer_portal_url;
    } catch (error) {
      this.logFailure('customer portal', error);
      throw new BadGatewayException(Messages.portalFailed);
    }
  }

  private logFailure(what: string, error: unknown, service?: ServiceName): void {
    const e = error instanceof PolarError ? { kind: error.kind, status: error.status, message: error.message } : { message: (error as Error)?.message };
    this.logger.warn({ service, polar: e }, `Polar ${what} failed`);
  }
}

function isBillingCycle(value: unknown): value is BillingCycle {
  return typeof value === 'string' && (BILLING_CYCLES as readonly string[]).includes(value);
}
