import { ApiNotFoundResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../../common/error-response.dto';
import { Messages } from '../../common/messages';

/**
 * The 404 of a route whose change reads or writes the caller's own row after the token
 * check: an account deleted meanwhile (a concurrent delete-account) answers seed 003's
 * "User not found" instead of a change for no one.
 */
export const ApiAccountGoneResponse = () =>
  ApiNotFoundResponse({
    type: ErrorResponse,
    description: 'User not found: the account was deleted while the request ran',
    example: { error: Messages.userNotFound },
  });
