import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliFixture } from './helpers/cli-fixture.js';

/** A long backoff keeps tasks and compensations between attempts for as long as the test looks. */
const BACKOFF_MS = 30_000;
const CLOCK = String.raw`\d\d:\d\d:\d\d`;

/**
 * A task or compensation waiting for its next attempt is not failed: the inspect view says `retrying`
 * with the attempt to come and when it is due, in the API and in `orra inspect`.
 */
describe('retries in the inspect view', () => {
  const f = new CliFixture();
  let release: () => void = () => undefined;

  beforeAll(async () => {
    await f.start({
      taskMaxAttempts: 3,
      taskBackoffMs: BACKOFF_MS,
      taskBackoffCapMs: BACKOFF_MS,
      compensationMaxAttempts: 3,
      compensationBackoffMs: BACKOFF_MS,
      compensationBackoffCapMs: BACKOFF_MS,
    });
    f.onDispose(() => release());
  });
  afterAll(() => f.dispose());

  /** A service whose first attempt fails and whose later ones wait until the test ends. */
  const gate = new Promise<void>((resolve) => (release = resolve));

  it('shows a task between attempts as retrying, with the next attempt number and time', async () => {
    let calls = 0;
    const courier = await f.service({
      name: 'courier',
      input: { orderId: 'string' },
      output: { eta: 'string' },
      handler: async () => {
        calls += 1;
        if (calls === 1) throw new Error('no courier available');
        await gate;
        return { eta: 'tomorrow' };
      },
    });
    const plan = f.planFile('courier', [[courier.id, { orderId: '$task0.orderId' }]]);
    const { id } = await f.json(['verify', 'run', 'Ship order ORD1', '--plan', plan, '-d', 'orderId:ORD1']);
    const view = await f.settled(id, (v) => v.tasks[0].statusHistory.some((s: any) => s.status === 'failed'));
    const task = view.tasks[0];
    expect(task).toMatchObject({
      status: 'retrying',
      attempt: 2,
      maxAttempts: 3,
      error: 'no courier available',
      nextAttemptAt: expect.any(String),
    });
    const failedAt = Date.parse(task.statusHistory.at(-1).timestamp);
    const waitMs = Date.parse(task.nextAttemptAt) - failedAt;
    expect(waitMs).toBeGreaterThanOrEqual(BACKOFF_MS * 0.9);
    expect(waitMs).toBeLessThanOrEqual(BACKOFF_MS * 1.1);

    const table = (await f.expectOk(['inspect', id])).stdout;
    expect(table).toMatch(/task1 +courier +↻ Retrying +─ +\S+ +no courier available\n/);
    expect(table).toMatch(new RegExp(`│ task1: ↻ Attempt 2/3 at ${CLOCK} \\(in \\d+(\\.\\d)?s\\)\\n`));
    expect(table).not.toContain('✕ Failed');
    const detail = (await f.expectOk(['inspect', id, '-d'])).stdout;
    expect(detail).toMatch(
      new RegExp(`${CLOCK} {2}✕ Failed - no courier available\\n│ next {6}↻ Attempt 2/3 at ${CLOCK} \\(in `),
    );
    await f.expectOk(['abort', id]);
  });

  it('shows a compensation between attempts as retrying, with its next attempt', async () => {
    let reverts = 0;
    const inventory = await f.inventory(async () => {
      reverts += 1;
      if (reverts === 1) throw new Error('warehouse API down');
    });
    const packer = await f.service({
      name: 'packer',
      input: { holdId: 'string' },
      output: { box: 'string' },
      handler: async () => {
        await gate;
        return { box: 'B1' };
      },
    });
    const plan = f.planFile('pack', [
      [inventory.id, { orderId: '$task0.orderId' }],
      [packer.id, { holdId: '$task1.holdId' }],
    ]);
    const { id } = await f.json(['verify', 'run', 'Pack order ORD2', '--plan', plan, '-d', 'orderId:ORD2']);
    await f.settled(id, (v) => v.tasks[1].status === 'processing');
    await f.expectOk(['abort', id, '--reason', 'Customer cancelled']);
    const view = await f.settled(id, (v) => v.tasks[0].compensation?.nextAttemptAt);
    expect(view.tasks[0].compensation).toMatchObject({ status: 'pending', attempt: 1, max_attempts: 3 });
    const waitMs = Date.parse(view.tasks[0].compensation.nextAttemptAt) - Date.now();
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(BACKOFF_MS * 1.1);

    const table = (await f.expectOk(['inspect', id])).stdout;
    expect(table).toMatch(/task1 +inventory +● Completed +↻ Retrying \(2\/3\) /);
    expect(table).toMatch(new RegExp(`│ task1 compensation: ↻ Attempt 2/3 at ${CLOCK} \\(in `));
    expect(reverts).toBe(1);
  });
});
