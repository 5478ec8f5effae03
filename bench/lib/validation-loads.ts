import { bearerHeaders, jsonHeaders } from './api';
import type { LoadSpec, SequencedRequest } from './load';

/** The loads the validation targets are stated on, shared by the scenarios that measure them. */
export const HEALTH = 'app GET /api/health';
export const ME = 'GET /api/auth/me';
export const VERIFY = 'POST /api/auth/verify';
export const CHECK = 'GET /api/connect/check?service=DROP';

type Load = Omit<LoadSpec, 'duration' | 'warmup'>;
/** The token connection `i` presents. */
type TokenOf = (i: number) => string;

/** The app's own /api/health: the baseline of every validation ratio. */
export const healthLoad = (connections: number): Load => ({ label: HEALTH, path: '/api/health', connections });

/** GET /api/auth/me with a bearer token. */
export const meLoad = (connections: number, tokenOf: TokenOf): Load => ({
  label: ME,
  path: '/api/auth/me',
  connections,
  perConnection: (i) => ({ headers: bearerHeaders(tokenOf(i)) }),
});

/** POST /api/auth/verify with the token in the body. */
export const verifyLoad = (connections: number, tokenOf: TokenOf): Load => ({
  label: VERIFY,
  method: 'POST',
  path: '/api/auth/verify',
  connections,
  perConnection: (i) => ({ headers: jsonHeaders, body: JSON.stringify({ token: tokenOf(i) }) }),
});

/** GET /api/connect/check?service=DROP with a bearer token. */
export const checkLoad = (connections: number, tokenOf: TokenOf): Load => ({
  label: CHECK,
  path: '/api/connect/check?service=DROP',
  connections,
  perConnection: (i) => ({ headers: bearerHeaders(tokenOf(i)) }),
});

/** The three token checks, in turn, as requests of a mixed load's sequence (kind `validation`). */
export const validationRequests = (token: string): SequencedRequest[] => [
  { method: 'GET', path: '/api/auth/me', headers: bearerHeaders(token), kind: 'validation' },
  { method: 'POST', path: '/api/auth/verify', headers: jsonHeaders, body: JSON.stringify({ token }), kind: 'validation' },
  { method: 'GET', path: '/api/connect/check?service=DROP', headers: bearerHeaders(token), kind: 'validation' },
];
