import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { taskIdempotencyKey } from './idempotency-key.js';

const deps = (entries: [string, unknown][]) => new Map<string, unknown>(entries);

describe('taskIdempotencyKey', () => {
  it('is 64 lower-case hex digits, the same for the same orchestration, task and dependency outputs', () => {
    const o = { id: 'o_A', createdAt: 1_764_720_000_123 };
    const key = taskIdempotencyKey(o, 'task2', deps([['task1', { n: 1 }], ['task0', { a: 'x' }]]));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    // Dependency order does not matter (orra sorts the parts).
    expect(taskIdempotencyKey({ ...o }, 'task2', deps([['task0', { a: 'x' }], ['task1', { n: 1 }]]))).toBe(key);
  });

  it("starts with the orchestration's creation time, so keys of later orchestrations sort after earlier ones", () => {
    const keys = [1_000, 1_764_720_000_123, 1_764_720_000_124, 1_764_720_999_999].map((createdAt, i) =>
      taskIdempotencyKey({ id: `o_${'ZYXW'[i]}`, createdAt }, 'task1', deps([])),
    );
    expect(keys[1]!.slice(0, 12)).toBe((1_764_720_000_123).toString(16).padStart(12, '0'));
    expect([...keys].sort()).toEqual(keys);
  });

  it("ends with the start of orra's SHA-256 over orchestration id, task id and outputs, so keys differ where orra's do", () => {
    const o = { id: 'o_A', createdAt: 5 };
    const orra = createHash('sha256').update('o_A').update('task1').update('task0:{"q":1}').digest('hex');
    expect(taskIdempotencyKey(o, 'task1', deps([['task0', { q: 1 }]]))).toBe('000000000005' + orra.slice(0, 52));
    const others = [
      taskIdempotencyKey(o, 'task2', deps([['task0', { q: 1 }]])),
      taskIdempotencyKey(o, 'task1', deps([['task0', { q: 2 }]])),
      taskIdempotencyKey({ id: 'o_B', createdAt: 5 }, 'task1', deps([['task0', { q: 1 }]])),
    ];
    expect(new Set([taskIdempotencyKey(o, 'task1', deps([['task0', { q: 1 }]])), ...others]).size).toBe(4);
  });
});
