import { randomBytes } from 'node:crypto';
import * as speakeasy from 'speakeasy';
import type { ServerProcess } from './processes';

/** Setup calls through the public API (never the database directly): what a client would do. */
export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
}

export async function call<T = unknown>(
  target: ServerProcess,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  options: { token?: string; json?: unknown } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(target.baseUrl + path, {
    method,
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, text };
}

export interface BenchUser {
  email: string;
  password: string;
  token: string;
}

export const BENCH_PASSWORD = 'bench-Password-1234';

/** Registers `count` users (a few at a time), each with a fresh session token. */
export async function registerUsers(target: ServerProcess, count: number, concurrency = 4): Promise<BenchUser[]> {
  const run = randomBytes(3).toString('hex');
  const users: BenchUser[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, (_, i) => start + i);
    const made = await Promise.all(
      batch.map(async (i) => {
        const email = `bench-${run}-${i}@example.com`;
        const res = await call<{ token?: string }>(target, 'POST', '/api/auth/register', {
          json: { email, password: BENCH_PASSWORD, displayName: `Bench ${i}` },
        });
        if (res.status !== 201 || typeof res.body.token !== 'string') {
          throw new Error(`register ${email} answered ${res.status}: ${res.text.slice(0, 300)}`);
        }
        return { email, password: BENCH_PASSWORD, token: res.body.token };
      }),
    );
    users.push(...made);
  }
  return users;
}

/**
 * One login a call, by whichever of `emails` is not logging in at the moment (as many workers
 * as emails: each login in flight is its own account, so the failed-login limit's five claims
 * per email and IP never bind). For `measureFlow`, which counts every login it starts.
 */
export function loginStep(target: ServerProcess, emails: string[], password: string): () => Promise<boolean> {
  const idle = [...emails];
  return async () => {
    const email = idle.shift();
    if (email === undefined) throw new Error('more login workers than accounts');
    try {
      const answer = await call<{ token?: string }>(target, 'POST', '/api/auth/login', { json: { email, password } });
      return answer.status === 200 && typeof answer.body.token === 'string';
    } finally {
      idle.push(email);
    }
  };
}

export const bearerHeaders = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
export const jsonHeaders: Record<string, string> = { 'content-type': 'application/json' };

/**
 * Turns 2FA on for a user through the API (setup, then confirm with a code and the password),
 * as a client would; returns the TOTP secret.
 */
export async function enableTwoFactor(target: ServerProcess, user: BenchUser): Promise<string> {
  const setup = await call<{ secret?: string }>(target, 'POST', '/api/auth/2fa', { token: user.token, json: { enable: true } });
  if (setup.status !== 200 || typeof setup.body.secret !== 'string') throw new Error(`2FA setup answered ${setup.status}: ${setup.text.slice(0, 300)}`);
  const secret = setup.body.secret;
  const confirm = await call(target, 'POST', '/api/auth/2fa', {
    token: user.token,
    json: { enable: true, password: user.password, verificationCode: totpCode(secret) },
  });
  if (confirm.status !== 200) throw new Error(`2FA confirm answered ${confirm.status}: ${confirm.text.slice(0, 300)}`);
  return secret;
}

/** The current TOTP code of a base32 secret (what an authenticator app shows). */
export function totpCode(secret: string, atMs = Date.now()): string {
  return speakeasy.totp({ secret, encoding: 'base32', time: Math.floor(atMs / 1000) });
}
