import { newOrchestrationId } from '@orra/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliFixture, waitFor } from './helpers/cli-fixture.js';

/**
 * Waiting and watching from the command line: `verify run --wait` ends with the outcome's exit code,
 * `inspect --follow` prints what happens until the orchestration and its compensations are done, and
 * `ps --watch` prints the list again whenever it changes. Also the times they show: an orchestration's
 * age comes from its creation, and its duration stops when it ends.
 */
describe('waiting and watching', () => {
  const f = new CliFixture();
  const gates = new Set<() => void>();
  /** A promise the test resolves when it wants the waiting task to go on. */
  const gate = () => new Promise<void>((resolve) => gates.add(resolve));
  const releaseAll = () => {
    for (const open of gates) open();
    gates.clear();
  };
  let plans: { quick: string; courier: string; undone: string };

  beforeAll(async () => {
    await f.start({ taskMaxAttempts: 1, compensationMaxAttempts: 1 });
    f.onDispose(releaseAll);
    const echo = await f.service({
      name: 'echo',
      input: { orderId: 'string' },
      output: { ref: 'string' },
      handler: async (t) => ({ ref: `ref-${t.input.orderId}` }),
    });
    const courier = await f.service({
      name: 'courier',
      input: { orderId: 'string' },
      output: { eta: 'string' },
      handler: async (t) => {
        if (t.input.orderId.includes('HELD')) await gate();
        throw new Error('no courier available');
      },
    });
    const inventory = await f.inventory();
    plans = {
      quick: f.planFile('quick', [[echo.id, { orderId: '$task0.orderId' }]]),
      // Fails at once, or (for orders named HELD…) once the test releases it.
      courier: f.planFile('courier', [[courier.id, { orderId: '$task0.orderId' }]]),
      undone: f.planFile('undone', [
        [inventory.id, { orderId: '$task0.orderId' }],
        [courier.id, { orderId: '$task1.holdId' }],
      ]),
    };
  });
  afterAll(() => f.dispose());

  const run = (plan: string, orderId: string, ...flags: string[]) => [
    'verify',
    'run',
    `Ship order ${orderId}`,
    '--plan',
    plan,
    '-d',
    `orderId:${orderId}`,
    ...flags,
  ];

  it('verify run --wait exits 0 with the results once the orchestration completes', async () => {
    const r = await f.run(run(plans.quick, 'ORD1', '-q', '--wait'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Created orchestration: o_\w+\n/);
    expect(r.stdout).toMatch(/\n● Completed in \d+(\.\d)?(ms|s)\nResults: \[\{"ref":"ref-ORD1"\}\]\n$/);
    expect(r.stderr).toContain('Waiting for the outcome, checking every 1s');
  });

  it('verify run --wait exits 3 when the orchestration fails; with --json it prints the ended record', async () => {
    const r = await f.run(run(plans.courier, 'ORD2', '--wait', '--json'));
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: 'failed',
      error: { producer: 'task1', error: expect.stringContaining('no courier available') },
    });
    const text = await f.run(run(plans.courier, 'ORD3', '-q', '--wait'));
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(
      /\n✕ Failed after \S+: task1 failed after 1 attempt: no courier available\nCompleted revertible tasks are undone now; follow it with: orra inspect o_\w+ --follow\n$/,
    );
  });

  it('verify run --wait exits 4 when the orchestration is aborted, and 130 when Ctrl-C stops the wait', async () => {
    const waiting = f.home.start(run(plans.courier, 'HELD1', '-q', '--wait'));
    await waiting.waitFor(/Waiting for the outcome/, 'stderr');
    const id = (await waiting.waitFor(/Created orchestration: (o_\w+)/))[1]!;
    await f.expectOk(['abort', id, '--reason', 'Customer cancelled']);
    expect(await waiting.exited).toBe(4);
    expect(waiting.stdout).toMatch(
      /\n⊟ Aborted after \S+: \{"reason":"Customer cancelled","abortedBy":"operator"\}\n/,
    );

    const stopped = f.home.start(run(plans.courier, 'HELD2', '-q', '--wait'));
    await stopped.waitFor(/Waiting for the outcome/, 'stderr');
    const other = (await stopped.waitFor(/Created orchestration: (o_\w+)/))[1]!;
    expect(await stopped.stop('SIGINT')).toBe(130);
    expect(stopped.stderr).toContain(`Stopped waiting; ${other} goes on: orra inspect ${other} --follow\n`);
    expect((await f.json(['inspect', other])).status).toBe('processing');
    await f.expectOk(['abort', other]);
  });

  it('inspect --follow prints what happens until the orchestration ends and its compensations finish', async () => {
    const { id } = await f.json(run(plans.undone, 'HELD4'));
    await f.settled(id, (v) => v.tasks[1].status === 'processing');
    const follow = f.home.start(['inspect', id, '--follow']);
    await follow.waitFor(/Following o_\w+ until it ends and its compensations finish/, 'stderr');
    expect(follow.stdout).toContain('┌─ Orchestration Details');
    releaseAll();
    expect(await follow.exited).toBe(0);
    const timeline = follow.stdout.slice(follow.stdout.lastIndexOf('└─────'));
    const lines = [
      /\d\d:\d\d:\d\d {2}task2 +courier +✕ Failed - no courier available\n/,
      new RegExp(
        `\\d\\d:\\d\\d:\\d\\d {2}${id} {2}✕ Failed - task2 failed after 1 attempt: no courier available\\n`,
      ),
      /\d\d:\d\d:\d\d {2}task1 +inventory +compensation ◎ Processing \(1\/1\)\n/,
      /\d\d:\d\d:\d\d {2}task1 +inventory +compensation ● Completed\n/,
      /Ended: ✕ Failed after \S+\n$/,
    ];
    let at = 0;
    for (const line of lines) {
      const found = line.exec(timeline.slice(at));
      expect(found, `${line} after position ${at} of\n${timeline}`).not.toBeNull();
      at += found!.index + found![0].length;
    }
    // An orchestration that is already done is shown once, with nothing to follow.
    const done = await f.run(['inspect', id, '--follow', '--json']);
    expect(done.code).toBe(0);
    expect(done.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(done.stdout)).toMatchObject({ id, status: 'failed' });
  });

  it('ps --watch prints the list again when it changes, until Ctrl-C (exit 0)', async () => {
    const watch = f.home.start(['ps', '--watch']);
    await watch.waitFor(/└─────\n/);
    const { id } = await f.json(run(plans.quick, 'ORD5'));
    await watch.waitFor(new RegExp(`${id} +Ship order ORD5 +● Completed`), 'stdout', 30_000);
    expect(await watch.stop('SIGINT')).toBe(0);
    expect(watch.stderr).toBe('Watching the orchestrations, checking every 1s (Ctrl-C to stop)\n');
    // Printed again only on a change: every list differs from the one before it.
    const lists = watch.stdout.split(/\n\n(?=Project: )/);
    expect(lists.length).toBeGreaterThan(1);
    for (let i = 1; i < lists.length; i++) expect(lists[i]).not.toBe(lists[i - 1]);

    const json = f.home.start(['ps', '--watch', '--json']);
    const [line] = await json.waitFor(/^\{.*\}\n/);
    expect(await json.stop('SIGTERM')).toBe(0);
    expect(JSON.parse(line).completed.map((o: any) => o.id)).toContain(id);
  });

  it('ps shows the age since creation, and inspect the duration until the end, not until now', async () => {
    // An orchestration created two hours ago that ended one hour ago (written to the store, since the
    // test cannot wait that long): its last status change is an hour old, its creation two.
    const now = Date.now();
    const id = newOrchestrationId();
    await f.engine.store.orchestrations.insert({
      id,
      projectId: f.config().projects.shop.id,
      action: 'Old order',
      data: null,
      plan: null,
      taskZero: {},
      status: 'completed',
      error: null,
      results: [],
      abortReason: null,
      timeoutMs: 30_000,
      healthCheckGracePeriodMs: 60_000,
      timeoutText: null,
      healthCheckGracePeriodText: null,
      planner: 'explicit',
      createdAt: now - 2 * 3_600_000,
      updatedAt: now - 3_600_000,
    });
    expect((await f.expectOk(['ps'])).stdout).toMatch(new RegExp(`${id} +Old order +● Completed +─ +2h\\n`));
    const view = await f.json(['inspect', id]);
    expect(view.duration).toBe(3_600_000 * 1e6);
    expect(Date.parse(view.createdAt)).toBe(now - 2 * 3_600_000);
    const text = (await f.expectOk(['inspect', id])).stdout;
    expect(text).toContain('│ Created: 2.0h ago\n│ Runtime: 1.0h\n');

    // While an orchestration runs, its duration is the time so far.
    const running = await f.json(run(plans.courier, 'HELD3'));
    await waitFor(async () => (await f.json(['inspect', running.id])).duration > 0, { what: 'time to pass' });
    expect((await f.expectOk(['inspect', running.id])).stdout).toMatch(/│ Runtime: \S+ so far\n/);
    await f.expectOk(['abort', running.id]);
  });
});
