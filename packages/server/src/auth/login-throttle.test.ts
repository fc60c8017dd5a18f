import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.ts';

describe('LoginThrottle', () => {
  it('refuses a pair after maxFailures in the window, and lets it try again as failures age out', () => {
    const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000 });
    const key = LoginThrottle.key(' Alice ', '192.0.2.1');
    expect(key).toBe(LoginThrottle.key('alice', '192.0.2.1'));
    expect(throttle.fail(key, 0)).toBe(false);
    expect(throttle.fail(key, 10_000)).toBe(false);
    expect(throttle.retryAfterSeconds(key, 10_000)).toBe(0);
    expect(throttle.fail(key, 20_000)).toBe(true);
    expect(throttle.retryAfterSeconds(key, 20_000)).toBe(40);
    expect(throttle.retryAfterSeconds(LoginThrottle.key('alice', '192.0.2.2'), 20_000)).toBe(0);
    // The first failure leaves the window at 60 s: two remain, below the limit.
    expect(throttle.retryAfterSeconds(key, 60_000)).toBe(0);
    expect(throttle.fail(key, 61_000)).toBe(true);
    throttle.succeed(key);
    expect(throttle.retryAfterSeconds(key, 61_000)).toBe(0);
  });

  it('forgets the oldest pairs beyond maxEntries, so memory stays bounded', () => {
    const throttle = new LoginThrottle({ maxFailures: 1, windowMs: 60_000, maxEntries: 100 });
    for (let i = 0; i < 1000; i++) throttle.fail(LoginThrottle.key(`user${i}`, '198.51.100.1'), 1000);
    expect(throttle.retryAfterSeconds(LoginThrottle.key('user999', '198.51.100.1'), 1000)).toBe(60);
    expect(throttle.retryAfterSeconds(LoginThrottle.key('user0', '198.51.100.1'), 1000)).toBe(0);
  });
});
