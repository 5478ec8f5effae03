import { IsGivenPassword, TotpCode } from '../../common/validation';

/** Seeds 001-003: `{password, verificationCode?}`. */
export class ReauthDto {
  @IsGivenPassword()
  password!: string;

  @TotpCode()
  verificationCode?: string;
}
