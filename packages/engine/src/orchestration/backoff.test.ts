import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.js';

describe('backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const noJitter = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 2000, 30_000, 0.1, noJitter))).toEqual([
      2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });
  it('stays within ±jitter of the base delay', () => {
    expect(backoffMs(1, 2000, 30_000, 0.1, () => 0)).toBe(1800);
    expect(backoffMs(1, 2000, 30_000, 0.1, () => 1)).toBe(2200);
  });
});
