import { describe, expect, it } from 'vitest';
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
});
