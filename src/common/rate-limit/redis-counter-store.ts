import type Redis from 'ioredis';
import { CounterStore, WindowCount } from './counter-store';

const HIT = `
local c = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { c, ttl }`;

const PEEK = `
local c = redis.call('GET', KEYS[1])
if not c then return { 0, 0 } end
return { tonumber(c), redis.call('PTTL', KEYS[1]) }`;

const RELEASE = `
local c = redis.call('GET', KEYS[1])
if c and tonumber(c) > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

/** The same fixed windows in Redis, so every instance counts the same failures. */
export class RedisCounterStore extends CounterStore {
  /** Keys are prefixed by the client (REDIS_KEY_PREFIX). */
  constructor(private readonly redis: Redis) {
    super();
  }

  async peek(key: string): Promise<WindowCount> {
    const [count, ttl] = (await this.redis.eval(PEEK, 1, key)) as [number, number];
    return { count, msLeft: Math.max(0, ttl) };
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const [count, ttl] = (await this.redis.eval(HIT, 1, key, windowMs)) as [number, number];
    return { count, msLeft: Math.max(0, ttl) };
  }

  async release(key: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, key);
  }

  async clear(key: string): Promise<void> {
    await this.redis.del(key);
  }
}
