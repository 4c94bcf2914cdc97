import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdempotencyCache } from './idempotency-cache.js';

function clocked(options: ConstructorParameters<typeof IdempotencyCache>[0] = {}) {
  const clock = { now: 0 };
  return { clock, cache: new IdempotencyCache({ ...options, now: () => clock.now }) };
}

describe('IdempotencyCache', () => {
  it('keeps completed results for 24 h and running keys for 30 min', () => {
    const { clock, cache } = clocked();
    cache.complete('done', { task: 1 });
    cache.begin('running');
    clock.now = 30 * 60_000 + 1;
    expect(cache.get('running')).toBeUndefined();
    expect(cache.get('done')).toMatchObject({ state: 'completed', result: { task: 1 } });
    clock.now = 24 * 3_600_000 + 1;
    expect(cache.get('done')).toBeUndefined();
  });

  it('forgets failures and remembers aborts', () => {
    const { cache } = clocked();
    cache.begin('a');
    cache.fail('a');
    cache.begin('b');
    cache.abort('b');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')?.state).toBe('aborted');
  });

  it('evicts the oldest finished entries beyond the bound but never a running key', () => {
    const { cache } = clocked({ maxEntries: 2 });
    cache.begin('running');
    cache.complete('old', 1);
    cache.complete('new', 2);
    expect(cache.size).toBe(2);
    expect(cache.get('running')?.state).toBe('in_progress');
    expect(cache.get('old')).toBeUndefined();
    expect(cache.get('new')?.state).toBe('completed');
  });

  it('sweeps expired entries', () => {
    const { clock, cache } = clocked({ completedTtlMs: 10 });
    cache.complete('x', 1);
    clock.now = 11;
    cache.sweep();
    expect(cache.size).toBe(0);
  });
  it('keeps an entry up to its time to live exactly, and drops it one millisecond later', () => {
    const { clock, cache } = clocked({ completedTtlMs: 100, inProgressTtlMs: 10 });
    clock.now = 1_000;
    cache.complete('done', 'r');
    cache.begin('running');
    clock.now = 1_010;
    expect(cache.get('running')?.state).toBe('in_progress');
    clock.now = 1_011;
    expect(cache.get('running')).toBeUndefined();
    clock.now = 1_100;
    expect(cache.get('done')).toMatchObject({ result: 'r' });
    clock.now = 1_101;
    expect(cache.get('done')).toBeUndefined();
  });

  it('sweeps only what has expired, and keeps the size when nothing has', () => {
    const { clock, cache } = clocked({ completedTtlMs: 100 });
    cache.complete('early', 1);
    clock.now = 50;
    cache.complete('late', 2);
    clock.now = 101;
    cache.sweep();
    expect(cache.size).toBe(1);
    expect(cache.get('late')).toMatchObject({ result: 2 });
    cache.sweep();
    expect(cache.size).toBe(1);
  });

  it('holds exactly its bound: the entry that reaches it evicts nothing', () => {
    const { cache } = clocked({ maxEntries: 2 });
    cache.complete('a', 1);
    cache.complete('b', 2);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toMatchObject({ result: 1 });
    // Updating a key counts it as the newest: the other one goes first.
    cache.complete('a', 10);
    cache.complete('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toMatchObject({ result: 10 });
  });

  describe('periodic sweeping', () => {
    afterEach(() => vi.useRealTimers());

    it('sweeps every 10 minutes by default once started, once however often started, and stops', () => {
      vi.useFakeTimers();
      const clock = { now: 0 };
      const cache = new IdempotencyCache({ completedTtlMs: 1_000, now: () => clock.now });
      cache.complete('x', 1);
      cache.startCleanup();
      cache.startCleanup();
      clock.now = 2_000;
      vi.advanceTimersByTime(10 * 60_000 - 1);
      expect(cache.size).toBe(1);
      vi.advanceTimersByTime(1);
      expect(cache.size).toBe(0);
      expect(vi.getTimerCount()).toBe(1);
      cache.stopCleanup();
      expect(vi.getTimerCount()).toBe(0);
      cache.complete('y', 2);
      clock.now = 10_000;
      vi.advanceTimersByTime(60 * 60_000);
      expect(cache.size).toBe(1);
      cache.startCleanup();
      expect(vi.getTimerCount()).toBe(1);
      cache.stopCleanup();
      cache.stopCleanup();
    });
  });
});
