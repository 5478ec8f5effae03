import { serviceListText } from './services';

/**
 * Every message the contract names, in one place: code throws these and tests import
 * them, so a message cannot drift from the seeds (../shared/seeds) or the spec.
 */
export const Messages = {
  // conventions
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  tooManyRequests: 'Too Many Requests',
  internalError: 'Internal server error',
  notFound: 'Not Found',
  malformedJson: 'Malformed JSON body',
  nulCharacter: 'Text must not contain NUL characters',
  payloadTooLarge: 'Request body too large',
  serviceUnavailable: 'Service temporarily unavailable',
  validationFailed: 'Validation failed',

  // auth
  userExists: 'User already exists',
  invalidCredentials: 'Invalid credentials',
  invalid2faCode: 'Invalid 2FA verification code',
  invalidPendingToken: 'Invalid or expired pending token',
  twoFactorRequiredLogin: '2FA verification required',
  noFieldsToUpdate: 'No fields to update',
  invalidCurrentPassword: 'Invalid current password',
  passwordChanged: 'Password changed successfully',
  tokenRequired: 'Token is required',
  invalidToken: 'Invalid token',
  sessionNotFound: 'Session not found',
  accountBanned: 'Account is banned',
  accountDisabled: 'Account is disabled',

  // 2FA
  twoFactorAlreadyEnabled: '2FA is already enabled',
  twoFactorScan: 'Scan the QR code with your authenticator app',
  twoFactorEnabled: '2FA enabled successfully',
  twoFactorDisabled: '2FA disabled successfully',
  invalidVerificationCode: 'Invalid verification code',
  noPending2fa: 'No pending 2FA setup',
  codeRequiredToDisable2fa: '2FA verification code is required to disable 2FA',
  twoFactorNotEnabled: '2FA is not enabled',

  // re-authentication (seeds 001-003)
  invalidPassword: 'Invalid password',
  twoFactorCodeRequired: '2FA verification code is required',
  userNotFound: 'User not found',

  // account (seeds 001-003)
  accountDisabledOk: 'Account disabled successfully',
  accountEnabledOk: 'Account enabled successfully',
  accountNotDisabled: 'Account is not disabled',
  accountBannedOk: 'Account banned successfully',
  accountUnbannedOk: 'Account unbanned successfully',
  accountNotBanned: 'Account is not banned',
  banAdminOnly: 'Ban can only be lifted by an administrator',
  accountDeletedOk: 'Account deleted successfully',

  // connect (seed 000)
  entitlementNotFound: 'Service entitlement not found. Please ensure you have access to this service.',
  connectedOk: 'Successfully connected to service',
  alreadyConnected: 'Already connected to this service',
  disconnectedOk: 'Successfully disconnected from service',
  alreadyDisconnected: 'Already disconnected from this service',
  noEntitlement: 'No entitlement found for this service',
  serviceRequired: 'Service parameter is required',
  invalidService: `Invalid service. Must be ${serviceListText()}`,
  enterpriseRequired: 'Enterprise plan required for custom domains',
  invalidDomain: 'Invalid domain format',
  domainInUse: 'Domain is already in use',
  domainConnected: 'Domain connected successfully. Please configure your DNS settings.',
  domainDisconnected: 'Custom domain disconnected successfully',

  // avatars
  noFile: 'No file provided',
  fileTooLarge: 'File too large. Maximum size is 2MB',
  invalidFileType: 'Invalid file type. Allowed types: JPEG, PNG, WebP, GIF',
  avatarUploaded: 'Avatar uploaded successfully',
  avatarNotFound: 'Avatar not found',

  // billing
  noActiveSubscription: 'No active subscription',
  subscriptionFetchFailed: 'Failed to fetch subscription data',
  missingPlan: 'Missing plan or billingCycle',
  invalidPlan: 'Invalid plan or billingCycle',
  checkoutFailed: 'Failed to create checkout session',
  noPolarCustomer: 'No Polar customer ID found. Please contact support.',
  portalFailed: 'Failed to create customer portal session',
  invalidWebhookPayload: 'Invalid webhook payload',

  // admin
  adminRequired: 'Administrator role required',
  cannotBanSelf: 'Administrators cannot ban their own account',
  banUntilInPast: 'until must be a time in the future',
} as const;
