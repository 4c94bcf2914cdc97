import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RECONNECT_BACKOFF } from './backoff.js';

/** The moments (ms after the drop) of the first `count` retries, without jitter. */
function retryTimes(count: number): number[] {
  const times: number[] = [];
  let at = 0;
  for (let n = 1; n <= count; n++) times.push((at += backoffDelayMs(n, DEFAULT_RECONNECT_BACKOFF, () => 0)));
  return times;
}

describe('backoffDelayMs', () => {
  it('retries within 250 ms of a drop, then each wait 25 % longer, capped at 30 s', () => {
    const delays = [1, 2, 3, 4, 5, 10, 20, 22, 23, 24].map((n) =>
      backoffDelayMs(n, DEFAULT_RECONNECT_BACKOFF, () => 0),
    );
    expect(delays).toEqual([250, 313, 391, 488, 610, 1863, 17_347, 27_105, 30_000, 30_000]);
  });

  it('tries again within about a quarter of the time the engine has been away', () => {
    // An engine back at any moment up to two minutes after the drop is found by the next retry, which
    // comes at most a quarter of the outage (plus 250 ms) later: a 15 s restart costs under 4.3 s more.
    const times = retryTimes(40);
    for (let i = 0; times[i + 1]! < 120_000; i++) {
      expect(times[i + 1]! - times[i]!).toBeLessThanOrEqual(times[i]! / 4 + 251); // 1 ms of rounding
    }
    expect(times.filter((t) => t <= 10_000)).toHaveLength(10);
  });

  it('only shortens delays with jitter, by at most the ratio', () => {
    expect(backoffDelayMs(1, DEFAULT_RECONNECT_BACKOFF, () => 1)).toBe(125);
    expect(backoffDelayMs(30, DEFAULT_RECONNECT_BACKOFF, () => 0.5)).toBe(22_500);
  });

  it('stays finite after thousands of attempts, even with no initial delay', () => {
    expect(backoffDelayMs(5000, DEFAULT_RECONNECT_BACKOFF, () => 0)).toBe(30_000);
    expect(backoffDelayMs(5000, { ...DEFAULT_RECONNECT_BACKOFF, multiplier: 2 }, () => 0)).toBe(30_000);
    expect(
      backoffDelayMs(5000, { ...DEFAULT_RECONNECT_BACKOFF, initialDelayMs: 0, multiplier: 2 }, () => 0),
    ).toBe(0);
  });
});
