import { Controller, Get, HttpStatus, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import type { SessionUser } from '../auth/entities/user.entity';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { BillingService } from './billing.service';
import { CheckoutQueryDto, RedirectUrlResponse, SubscriptionQueryDto, SubscriptionResponse } from './dto/billing.dto';

const DEFAULT_SERVICE = 'DROP';

/**
 * A browser app holding a bearer token calls these with fetch, which cannot follow a
 * cross-origin redirect usefully: `Accept: application/json` gets the URL as JSON.
 */
function redirectOrJson(req: Request, res: Response, url: string): void {
  if (/\bapplication\/json\b/i.test(req.headers.accept ?? '')) {
    res.status(HttpStatus.OK).json({ url });
    return;
  }
  res.redirect(HttpStatus.TEMPORARY_REDIRECT, url);
}

const acceptHeader = ApiHeader({
  name: 'Accept',
  required: false,
  description: '`application/json` to get `{url}` with 200 instead of the 307 redirect',
});
const redirectResponse = ApiResponse({ status: HttpStatus.TEMPORARY_REDIRECT, description: 'Redirect (Location header) to Polar' });

@ApiTags('Billing')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unusable token' })
@ApiForbiddenResponse({ type: ErrorResponse, description: 'Account is banned / disabled' })
@Controller()
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Get('subscription')
  @ApiOperation({
    summary: "The caller's subscription for a service, as Polar reports it",
    description: 'Period times are unix seconds (as the original); the price is in Polar’s own currency and unit.',
  })
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiNotFoundResponse({ type: ErrorResponse, description: `"${Messages.noActiveSubscription}"` })
  @ApiBadRequestResponse({ type: ErrorResponse, description: `"${Messages.invalidService}"` })
  @ApiBadGatewayResponse({ type: ErrorResponse, description: `"${Messages.subscriptionFetchFailed}": Polar failed or is not configured` })
  subscription(@CurrentUser() user: SessionUser, @Query() query: SubscriptionQueryDto): Promise<SubscriptionResponse> {
    return this.billing.subscription(user, query.service ?? DEFAULT_SERVICE);
  }

  @Get('polar/checkout')
  @ApiOperation({
    summary: 'Start a Polar checkout for a plan and billing cycle',
    description:
      'Creates a checkout for the product configured for `<plan>:<billingCycle>` (POLAR_PRODUCTS) with metadata ' +
      '`{userId, plan, billingCycle, service}`, then redirects to it (307), or answers `{url}` for `Accept: application/json`.',
  })
  @acceptHeader
  @redirectResponse
  @ApiOkResponse({ type: RedirectUrlResponse, description: 'With Accept: application/json' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: `"${Messages.missingPlan}", "${Messages.invalidPlan}" or "${Messages.invalidService}"` })
  @ApiBadGatewayResponse({ type: ErrorResponse, description: `"${Messages.checkoutFailed}": Polar failed or is not configured` })
  async checkout(@CurrentUser() user: SessionUser, @Query() query: CheckoutQueryDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    const url = await this.billing.checkoutUrl(user, query.service ?? DEFAULT_SERVICE, query.plan, query.billingCycle);
    redirectOrJson(req, res, url);
  }

  @Get('polar/portal')
  @ApiOperation({ summary: "Open the caller's Polar customer portal", description: 'Redirects (307), or answers `{url}` for `Accept: application/json`.' })
  @acceptHeader
  @redirectResponse
  @ApiOkResponse({ type: RedirectUrlResponse, description: 'With Accept: application/json' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: `"${Messages.noPolarCustomer}"` })
  @ApiBadGatewayResponse({ type: ErrorResponse, description: `"${Messages.portalFailed}": Polar failed or is not configured` })
  async portal(@CurrentUser() user: SessionUser, @Req() req: Request, @Res() res: Response): Promise<void> {
    redirectOrJson(req, res, await this.billing.portalUrl(user));
  }
}
