import * as speakeasy from 'speakeasy';
import { ManualClock } from '../common/clock';
import type { DataProtector } from '../common/crypto/data-protector';
import type { UnitOfWork } from '../database/unit-of-work';
import { TOTP_STEP_SECONDS, TotpService } from './totp.service';

/** The TOTP window and step arithmetic (RFC 6238), without a database. */
describe('TotpService.matchStep', () => {
  const secret = speakeasy.generateSecret({ length: 20 }).base32;
  const clock = new ManualClock();
  const service = (window: number) =>
    new TotpService({} as UnitOfWork, clock, {} as DataProtector, { totpWindow: window } as never);
  const codeAt = (step: number) => speakeasy.totp({ secret, encoding: 'base32', time: step * TOTP_STEP_SECONDS });
  const nowStep = () => Math.floor(clock.nowMs() / 1000 / TOTP_STEP_SECONDS);

  it('accepts the current step and one either side with TOTP_WINDOW=1, and says which step matched', () => {
    const step = nowStep();
    for (const offset of [-1, 0, 1]) expect(service(1).matchStep(secret, codeAt(step + offset))).toBe(step + offset);
  });

  it('refuses codes two steps away with TOTP_WINDOW=1, and accepts them with the original window of 2', () => {
    const step = nowStep();
    for (const offset of [-2, 2]) {
      const code = codeAt(step + offset);
      // a code can collide with a neighbouring step's by chance (1 in a million): skip that draw
      if ([-1, 0, 1].some((o) => codeAt(step + o) === code)) continue;
      expect(service(1).matchStep(secret, code)).toBeNull();
      expect(service(2).matchStep(secret, code)).toBe(step + offset);
    }
  });

  it('accepts only six digits', () => {
    const code = codeAt(nowStep());
    for (const bad of ['', '12345', '1234567', 'abcdef', ` ${code}`, `${code}0`]) expect(service(1).matchStep(secret, bad)).toBeNull();
  });

  it('follows the injected clock', () => {
    const code = codeAt(nowStep());
    clock.advance(10 * TOTP_STEP_SECONDS * 1000);
    expect(service(1).matchStep(secret, code)).toBeNull();
    clock.reset();
  });
});
