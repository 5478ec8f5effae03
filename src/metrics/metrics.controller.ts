import { Controller, Get, Inject, Res, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Request, Response } from 'express';
import { Req } from '@nestjs/common';
import { bearerToken } from '../auth/guards/jwt-auth.guard';
import { Public } from '../auth/decorators/public.decorator';
import { safeEqual } from '../common/crypto/hash';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { appConfig } from '../config/configuration';
import { MetricsService } from './metrics.service';

/** Prometheus text; behind METRICS_TOKEN (bearer) when it is set. */
@ApiTags('Operations')
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController extends PrometheusController {
  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
  ) {
    super();
  }

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics: requests and latency by route, logins by outcome, outbox, rate limits' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string', example: 'nullpass_logins_total{outcome="success"} 3' } })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'METRICS_TOKEN is set and the bearer token is not it' })
  async scrape(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    if (this.config.metricsToken && !safeEqual(bearerToken(req.headers.authorization), this.config.metricsToken)) {
      throw new UnauthorizedException(Messages.unauthorized);
    }
    await this.metrics.refreshGauges();
    return super.index(res);
  }
}
