import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../dist/demo.js', import.meta.url));

describe('npm run demo', () => {
  it('runs the three actions end to end, verifies every webhook, works the queue with the CLI, and exits 0', () => {
    const started = Date.now();
    const run = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, NO_COLOR: '1' } });
    const output = run.stdout + run.stderr;
    expect(run.status, output).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    // Planned from words by the grounded planner.
    expect(output.match(/planned by the grounded planner: task1 inventory → task2 payment → task3 delivery/g)).toHaveLength(3);
    // 1: completed, with results.
    expect(output).toMatch(/webhook orchestration\.completed {2}results \[\{"eta":"2 business days"/);
    // 2: payment undone before inventory, then orchestration.failed.
    const second = output.slice(output.indexOf('2. Delivery is impossible'), output.indexOf('3. Delivery is impossible'));
    expect(second.indexOf('payment    task2  undone')).toBeGreaterThan(-1);
    expect(second.indexOf('payment    task2  undone')).toBeLessThan(second.indexOf('inventory  task1  undone'));
    expect(second).toContain('webhook orchestration.failed');
    // 3: the refund fails for good and compensation.failed arrives.
    expect(output).toMatch(/webhook compensation\.failed {2}payment task2: max compensation attempts \(3\) reached: refund of ch-ORD-1003-NOREFUND rejected/);
    // Every webhook was signed and verified.
    const received = output.match(/⇐ webhook /g)?.length ?? 0;
    expect(received).toBe(4);
    expect(output.match(/signature valid/g)).toHaveLength(received);
    // The operator's CLI session.
    expect(output).toContain('$ orra comp-fail resolve');
    expect(output).toContain('Manually refunded customer');
    expect(output).toMatch(/4 × |1 × orchestration\.completed/);
  });
});
