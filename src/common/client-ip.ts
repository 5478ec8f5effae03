import type { Request } from 'express';

/**
 * The caller's IP as Express resolved it: the socket address, or X-Forwarded-For only
 * when the request came through a proxy listed in TRUST_PROXY (flaw 11: the original
 * believed X-Client-IP and X-Forwarded-For from anyone).
 */
export function clientIp(req: Request): string {
  const ip = req.ip ?? req.socket?.remoteAddress ?? 'unknown';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
