import { Injectable } from '@nestjs/common';

/**
 * Time comes from here so TOTP steps, expiries and backoff can be tested by moving
 * the clock instead of sleeping. Tests override the provider with a ManualClock.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  nowMs(): number {
    return Date.now();
  }
}

export class ManualClock extends Clock {
  private offsetMs = 0;

  override now(): Date {
    return new Date(this.nowMs());
  }

  override nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
