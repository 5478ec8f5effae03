import type { Session } from './entities/session.entity';
import type { User } from './entities/user.entity';
import { LiveSession } from './session.service';

describe('LiveSession (the guard reads it on every request)', () => {
  const session = { id: 's' } as unknown as Session & { user: User };

  it('parses the entitlements only when asked for, once', () => {
    const live = new LiveSession(session, '[{"service":"DROP","tier":"pro"}]');
    const first = live.entitlements;
    expect(first).toEqual([{ service: 'DROP', tier: 'pro' }]);
    expect(live.entitlements).toBe(first);
  });

  it('leaves text it never parses alone: a route that does not ask pays nothing for it', () => {
    const live = new LiveSession(session, 'not json');
    expect(live.session).toBe(session);
    expect(() => live.entitlements).toThrow(SyntaxError);
  });

  it('has none when the user row has no entitlements text', () => {
    expect(new LiveSession(session, null).entitlements).toEqual([]);
  });
});
