import { HttpModule } from '@nestjs/axios';
import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { polarConfig } from '../config/configuration';
import { BillingController } from './billing.controller';
import { BillingService } from './billing.service';
import { CancellationOutboxService } from './cancellation-outbox.service';
import { CancellationOutboxWorker } from './cancellation-outbox.worker';
import { PolarWebhookService } from './polar-webhook.service';
import { PolarWebhooksController } from './polar-webhooks.controller';
import { PolarClient } from './polar.client';

/**
 * Polar: webhooks that keep entitlements in step with subscriptions, the caller's
 * subscription, checkout and portal links, and the cancellation outbox (enqueued by the
 * account routes in their own transaction, delivered by the worker). Global so that
 * AccountModule can enqueue without importing it.
 */
@Global()
@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [polarConfig.KEY],
      useFactory: (config: ConfigType<typeof polarConfig>) => ({
        baseURL: config.apiUrl,
        timeout: config.timeoutMs,
        maxRedirects: 0,
        headers: { Accept: 'application/json', 'User-Agent': 'nullpass' },
      }),
    }),
  ],
  controllers: [PolarWebhooksController, BillingController],
  providers: [PolarClient, PolarWebhookService, BillingService, CancellationOutboxService, CancellationOutboxWorker],
  exports: [CancellationOutboxService, CancellationOutboxWorker, PolarClient],
})
export class BillingModule {}
