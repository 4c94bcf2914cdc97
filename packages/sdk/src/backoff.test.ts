import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RECONNECT_BACKOFF } from './backoff.js';

describe('backoffDelayMs', () => {
  it('starts at 1 s, doubles, and caps at 30 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n, DEFAULT_RECONNECT_BACKOFF, () => 0));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('only shortens delays with jitter, by at most the ratio', () => {
    expect(backoffDelayMs(1, DEFAULT_RECONNECT_BACKOFF, () => 1)).toBe(800);
    expect(backoffDelayMs(10, DEFAULT_RECONNECT_BACKOFF, () => 0.5)).toBe(27_000);
  });

  it('stays finite after thousands of attempts', () => {
    expect(backoffDelayMs(5000, DEFAULT_RECONNECT_BACKOFF, () => 0)).toBe(30_000);
  });
});
