import { Controller, HttpCode, HttpStatus, Logger, NotFoundException, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiForbiddenResponse,
  ApiHeader,
  ApiInternalServerErrorResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { Public } from '../auth/decorators/public.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { isServiceName, SERVICES, type ServiceName } from '../common/services';
import { WebhookReceivedResponse, WebhookRejectedResponse } from './dto/polar-webhook.dto';
import { PolarWebhookService } from './polar-webhook.service';
import { WEBHOOK_TOLERANCE_SECONDS } from './webhook-signature';

/** One route per service, made from the service list: /api/webhooks/drop, /mails, … */
export const WEBHOOK_ROUTES = SERVICES.map((s) => s.toLowerCase());

const EXAMPLE_EVENT = {
  type: 'subscription.created',
  timestamp: '2025-01-01T12:00:00Z',
  data: {
    id: 'a3c5e7f9-0000-4000-8000-000000000001',
    status: 'active',
    customer_id: '1dbfc517-0bbf-4301-9ba8-555ca42b9737',
    current_period_start: '2025-01-01T12:00:00Z',
    current_period_end: '2025-02-01T12:00:00Z',
    cancel_at_period_end: false,
    metadata: { userId: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20', plan: 'premium', billingCycle: 'monthly', service: 'DROP' },
  },
};

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Polar calls these; they carry a Standard Webhooks signature instead of a bearer token
 * and are exempt from the per-IP request limit (Polar delivers in bursts and retries).
 */
@ApiTags('Billing')
@Public()
@SkipThrottle()
@Controller('webhooks')
export class PolarWebhooksController {
  private readonly logger = new Logger(PolarWebhooksController.name);

  constructor(private readonly webhooks: PolarWebhookService) {}

  @Post(WEBHOOK_ROUTES)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: "Polar's webhook for one service (drop, mails, vault, db), each with its own secret",
    description: [
      "The route's service is the one whose entitlement changes; the user is `data.metadata.userId`",
      '(customer events: that, or `data.email`). The signature is checked first, on the raw body',
      '(HMAC-SHA256 keyed with the UTF-8 bytes of `<SERVICE>_POLAR_SECRET`, over',
      '`webhook-id.webhook-timestamp.body`). Then the payload is validated leniently (known fields',
      'checked, unknown fields ignored). Each `webhook-id` is processed once: the record and the',
      'effect commit together, and a redelivery answers 200 at once.',
      '',
      'Events: `subscription.created` (audit SUBSCRIPTION_CREATE), `subscription.updated/active/uncanceled`',
      '(SUBSCRIPTION_UPDATE): tier = `metadata.plan` (kept if absent), isPremium = status active or',
      'trialing; `subscription.canceled` (SUBSCRIPTION_CANCEL; premium until revoked);',
      '`subscription.revoked` (SUBSCRIPTION_REVOKE): back to free; `customer.created/updated`: the',
      "user's Polar customer id. Unknown event types and events for unknown users are acknowledged",
      'with 200 and change nothing. A processing failure answers 500 so that Polar retries.',
    ].join('\n'),
  })
  @ApiHeader({ name: 'webhook-id', required: true, description: 'Unique id of the delivery (redeliveries repeat it)', example: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' })
  @ApiHeader({
    name: 'webhook-timestamp',
    required: true,
    description: `Unix seconds; refused when more than ${WEBHOOK_TOLERANCE_SECONDS / 60} minutes from our clock, either way`,
    example: '1735732800',
  })
  @ApiHeader({
    name: 'webhook-signature',
    required: true,
    description: 'Space-separated `v1,<base64 HMAC-SHA256>` entries; one matching entry is enough',
    example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  })
  @ApiBody({ description: "Polar's event JSON (snake_case), verified on its exact bytes", schema: { type: 'object', example: EXAMPLE_EVENT } })
  @ApiOkResponse({ type: WebhookReceivedResponse, description: 'Processed now, processed before (same webhook-id), or acknowledged and ignored' })
  @ApiForbiddenResponse({ type: WebhookRejectedResponse, description: 'Missing, wrong or stale signature, or no secret configured for this service' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: `"${Messages.malformedJson}", or "${Messages.invalidWebhookPayload}" with details` })
  @ApiInternalServerErrorResponse({ type: ErrorResponse, description: 'Processing failed and nothing was kept: Polar retries the delivery' })
  async receive(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<WebhookReceivedResponse | WebhookRejectedResponse> {
    const service = serviceOf(req);
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const webhookId = header(req, 'webhook-id');
    const verified = this.webhooks.verify(service, rawBody, {
      id: webhookId,
      timestamp: header(req, 'webhook-timestamp'),
      signature: header(req, 'webhook-signature'),
    });
    if (!verified || !webhookId) {
      this.logger.warn({ service, webhookId }, 'webhook refused: bad, missing or stale signature');
      res.status(HttpStatus.FORBIDDEN);
      return { received: false };
    }
    const event = await this.webhooks.parse(rawBody);
    const outcome = await this.webhooks.process(service, webhookId, event);
    const log = { service, webhookId, type: event.type, outcome };
    if (outcome === 'unknown-user') this.logger.warn(log, 'webhook acknowledged: no such user');
    else this.logger.log(log, 'webhook received');
    return { received: true };
  }
}

function serviceOf(req: Request): ServiceName {
  const last = req.path.split('/').filter(Boolean).pop()?.toUpperCase();
  if (!isServiceName(last)) throw new NotFoundException(Messages.notFound);
  return last;
}
