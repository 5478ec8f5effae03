import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Audit } from '../audit/audit.decorator';
import { clientIp } from '../common/client-ip';
import { ErrorResponse } from '../common/error-response.dto';
import { RateLimit } from '../common/rate-limit/rate-limit.guard';
import type { AuthenticatedRequest } from './auth-request';
import { AuthService, ClientInfo } from './auth.service';
import { AllowRestricted } from './decorators/allow-restricted.decorator';
import { CurrentSession } from './decorators/current-user.decorator';
import { Public } from './decorators/public.decorator';
import { LoginDto, LoginTwoFactorDto, RegisterDto, VerifyTokenDto } from './dto/auth-requests.dto';
import { LoginPendingResponse, LoginResponse, RegisterResponse, SuccessResponse, VerifyResponse } from './dto/auth-responses.dto';
import type { Session } from './entities/session.entity';
import { ProfileService } from './profile.service';
import { SessionService } from './session.service';

const client = (req: Request): ClientInfo => ({ ip: clientIp(req), userAgent: req.headers['user-agent'] });

@ApiTags('Auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly profile: ProfileService,
    private readonly sessions: SessionService,
  ) {}

  @Post('register')
  @Public()
  @RateLimit('auth')
  @Audit('USER_REGISTER')
  @ApiOperation({ summary: 'Create an account (and its first session)' })
  @ApiCreatedResponse({ type: RegisterResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Validation error' })
  @ApiConflictResponse({ type: ErrorResponse, description: 'User already exists' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse })
  register(@Body() dto: RegisterDto, @Req() req: Request): Promise<RegisterResponse> {
    return this.auth.register(dto, client(req));
  }

  @Post('login')
  @HttpCode(200)
  @Public()
  @RateLimit('auth')
  @Audit('USER_LOGIN')
  @ApiOperation({
    summary: 'Log in (seed 004)',
    description:
      'With 2FA on and no verificationCode, answers the "2FA Required" shape with a pendingToken (5 minutes, single use, ' +
      'spent by its fifth wrong code); finish with POST /api/auth/login/2fa, or resend email, password and verificationCode here. ' +
      'A login from the IP of a live session of the same user reuses and extends that session. Banned or disabled accounts ' +
      'still log in, to a restricted session (banned/disabled true). Failed logins are limited per (email, IP), per email and per IP.',
  })
  @ApiExtraModels(LoginResponse, LoginPendingResponse)
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(LoginResponse) }, { $ref: getSchemaPath(LoginPendingResponse) }] } })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Validation error' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Invalid credentials, or Invalid 2FA verification code' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse, description: 'Too many failed logins; see Retry-After' })
  login(@Body() dto: LoginDto, @Req() req: Request): Promise<LoginResponse | LoginPendingResponse> {
    return this.auth.login(dto, client(req));
  }

  @Post('login/2fa')
  @HttpCode(200)
  @Public()
  @RateLimit('auth')
  @Audit('USER_LOGIN')
  @ApiOperation({ summary: 'Second login step: pending token and a TOTP or recovery code' })
  @ApiOkResponse({ type: LoginResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Validation error' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Invalid or expired pending token, or Invalid 2FA verification code' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse })
  loginTwoFactor(@Body() dto: LoginTwoFactorDto, @Req() req: Request): Promise<LoginResponse> {
    return this.auth.loginTwoFactor(dto, client(req));
  }

  @Post('logout')
  @HttpCode(200)
  @AllowRestricted()
  @Audit('USER_LOGOUT')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the session of this token' })
  @ApiOkResponse({ type: SuccessResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse })
  async logout(@CurrentSession() session: Session, @Req() req: AuthenticatedRequest): Promise<SuccessResponse> {
    await this.sessions.revoke(req.user!.id, session.id);
    return { success: true };
  }

  @Post('verify')
  @HttpCode(200)
  @Public()
  @ApiOperation({
    summary: 'Is this token valid right now? (for sibling products)',
    description:
      'Checks signature, type, expiry and the session row. Banned or disabled accounts answer valid:false with the reason, ' +
      'so a product that reads only `valid` refuses them.',
  })
  @ApiOkResponse({ type: VerifyResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Token is required' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Invalid token' })
  verify(@Body() dto: VerifyTokenDto): Promise<VerifyResponse> {
    return this.profile.verify(dto.token);
  }
}
