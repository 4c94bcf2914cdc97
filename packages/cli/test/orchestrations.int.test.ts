import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcommerceServices } from '../../engine/test/helpers/planning-services.js';
import { allCompensated, CliFixture, waitFor } from './helpers/cli-fixture.js';

const GROUNDING_YAML = `# The e-commerce worked example, in orra's YAML spelling (use-cases).
name: ecommerce-support
domain: e-commerce
version: "1.0"
use-cases:
  - action: "Process refund for order {orderId}"
    params:
      orderId: ORD123
    capabilities:
      - Look up the order and the amount paid
      - Refund the payment
      - Notify the customer by email
    intent: Customer wants their money back for an order
constraints:
  - Refund at most the amount paid
`;

describe('orchestrations from the command line', () => {
  const f = new CliFixture();
  const finished = (v: any) => ['completed', 'failed', 'aborted'].includes(v.status);

  beforeAll(async () => {
    await f.start({ taskMaxAttempts: 1 });
    const shop = await startEcommerceServices(f.engine.url, f.apiKey);
    f.onDispose(() => shop.shutdown());
  });
  afterAll(() => f.dispose());

  it('applies a YAML grounding spec, lists it, and refuses the same version twice', async () => {
    const file = join(f.home.dir, 'support.grounding.yaml');
    writeFileSync(file, GROUNDING_YAML);
    const applied = await f.expectOk(['grounding', 'apply', '-f', file]);
    expect(applied.stdout).toContain(`✓ Applied grounding spec from ${file}`);
    expect(applied.stdout).toContain('Use cases: 1');
    const again = await f.run(['grounding', 'apply', '-f', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      "Error: a grounding spec named 'ecommerce-support' with version 1.0 already exists; change the version in the file to replace it\n",
    );
    expect((await f.expectOk(['grounding', 'ls'])).stdout).toMatch(/ecommerce-support +e-commerce +1\.0 +1/);
    expect(await f.json(['grounding', 'ls'])).toEqual([
      expect.objectContaining({
        name: 'ecommerce-support',
        useCases: [expect.objectContaining({ params: { orderId: 'ORD123' } })],
      }),
    ]);
  });

  it('runs an action planned by the engine; ps shows it completed and inspect -d shows each task', async () => {
    const run = await f.expectOk(['verify', 'run', 'Process refund for order ORD7']);
    expect(run.stdout).toContain('✓ Action Orchestrated!');
    expect(run.stdout).toContain(
      'Planned by: grounded (3 tasks)\nUse case:   Process refund for order {orderId} (grounding spec ecommerce-support, score 1)\n',
    );
    expect(run.stdout).toContain("What's happening:");
    const id = /Created orchestration: (o_\w+)/.exec(run.stdout)?.[1] as string;
    expect(run.stdout).toContain(`Inspect progress with: orra inspect ${id}`);
    await f.settled(id, finished);

    const ps = await f.expectOk(['ps']);
    expect(ps.stdout).toContain('┌─ Orchestrations');
    expect(ps.stdout).toMatch(new RegExp(`${id} +Process refund for order ORD7 +● Completed +─ +just now`));

    const inspect = await f.expectOk(['inspect', id, '-d']);
    for (const text of [
      '┌─ Orchestration Details',
      'Status:  ● Completed',
      'order-lookup (task1)',
      'payments (task2)',
      'notifier (task3)',
      'Input:',
      '"orderId": "ORD7"',
      'Output:',
      '"amount": 42.5',
      'Final Results',
      '"sent": true',
    ]) {
      expect(inspect.stdout).toContain(text);
    }
    expect(inspect.stdout).toMatch(/task1 +order-lookup +● Completed +─/);
  });

  it('sends -d values as orra does (plain, comma list, JSON) with -t and -g', async () => {
    const received: unknown[] = [];
    const input = {
      type: 'object',
      properties: {
        orderId: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        meta: { type: 'object', properties: { priority: { type: 'number' } } },
      },
    };
    const output = { type: 'object', properties: { ok: { type: 'boolean' } } };
    const recorder = await f.serviceWithSchema('recorder', { input, output }, async (t) => {
      received.push(t.input);
      return { ok: true };
    });
    const plan = f.planFile('record', [
      [recorder.id, { orderId: '$task0.orderId', tags: '$task0.tags', meta: '$task0.meta' }],
    ]);
    const args = [
      'verify',
      'run',
      'Record order ORD8',
      '--plan',
      plan,
      '-d',
      'orderId:ORD8',
      '-d',
      'tags:gift, fragile ,express',
    ];
    args.push(
      '-d',
      'meta:{"priority":1,"notes":["call first"]}',
      '-d',
      'items:[1,2]',
      '-d',
      'note:a:b',
      '-t',
      '45s',
      '-g',
      '10m',
    );
    const record = await f.json(args);
    expect(record.data).toEqual([
      { field: 'orderId', value: 'ORD8' },
      { field: 'tags', value: ['gift', 'fragile', 'express'] },
      { field: 'meta', value: { priority: 1, notes: ['call first'] } },
      { field: 'items', value: [1, 2] },
      { field: 'note', value: 'a:b' },
    ]);
    expect(record).toMatchObject({ timeout: '45s', healthCheckGracePeriod: '10m0s', planner: 'explicit' });
    await f.settled(record.id, finished);
    expect(received).toEqual([
      { orderId: 'ORD8', tags: ['gift', 'fragile', 'express'], meta: { priority: 1, notes: ['call first'] } },
    ]);
    const quiet = await f.expectOk([
      'verify',
      'run',
      'Record order ORD9',
      '--plan',
      plan,
      '-d',
      'orderId:ORD9',
      '-d',
      'tags:a,b',
      '-d',
      'meta:{}',
      '-q',
    ]);
    expect(quiet.stdout).toContain('Created orchestration: o_');
    expect(quiet.stdout).not.toContain("What's happening");
  });

  it('shows a failed orchestration with its compensation in ps and inspect -d', async () => {
    const inventory = await f.service({
      name: 'inventory',
      input: { orderId: 'string' },
      output: { ref: 'string' },
      revertible: true,
      handler: async (t) => ({ ref: `hold-${t.input.orderId}` }),
      onRevert: async () => undefined,
    });
    const courier = await f.service({
      name: 'courier',
      input: { orderId: 'string' },
      output: { eta: 'string' },
      handler: async () => {
        throw new Error('no courier available');
      },
    });
    const plan = f.planFile('ship', [
      [inventory.id, { orderId: '$task0.orderId' }],
      [courier.id, { orderId: '$task1.ref' }],
    ]);
    const { id } = await f.json(['verify', 'run', 'Ship order ORD10', '--plan', plan, '-d', 'orderId:ORD10']);
    await f.settled(id, allCompensated);

    const ps = await f.expectOk(['ps', '-w']);
    expect(ps.stdout).toMatch(
      new RegExp(
        `${id} +Ship order ORD10 +✕ Failed +● Completed \\(1/1\\) +just now +task2 failed after 1 attempt.*no courier available`,
      ),
    );
    const inspect = await f.expectOk(['inspect', id, '-d']);
    expect(inspect.stdout).toContain('┌─ Orchestration Details [FAILED]');
    expect(inspect.stdout).toMatch(/task1 +inventory +● Completed +● Completed/);
    expect(inspect.stdout).toMatch(/task2 +courier +✕ Failed +─ .*no courier available/);
    expect(inspect.stdout).toMatch(
      /Compensating ─+\n│ \d\d:\d\d:\d\d {2}◎ Processing \(1\/\d+\)\n│ \d\d:\d\d:\d\d {2}● Completed/,
    );
    expect((await f.json(['ps'])).failed.map((o: any) => o.id)).toContain(id);
  });

  it('shows progress updates with -u and --long-updates', async () => {
    const tracker = await f.service({
      name: 'tracker',
      input: { orderId: 'string' },
      output: { done: 'boolean' },
      handler: async (t) => {
        for (const progress of [10, 50, 90]) await t.pushUpdate({ progress, stage: `at ${progress}` });
        return { done: true };
      },
    });
    const plan = f.planFile('track', [[tracker.id, { orderId: '$task0.orderId' }]]);
    const { id } = await f.json(['verify', 'run', 'Track ORD11', '--plan', plan, '-d', 'orderId:ORD11']);
    await f.settled(id, (v) => finished(v) && v.tasks[0].interimResults?.length === 3);
    const short = await f.expectOk(['inspect', id, '-u']);
    expect(short.stdout).toContain('Progress: [==================> ] 90%');
    expect(short.stdout).toContain('First Update');
    expect(short.stdout).toContain('Latest Update');
    expect(short.stdout).toContain('Use --long-updates to show all 3 updates');
    const long = await f.expectOk(['inspect', id, '-d', '--long-updates']);
    expect(long.stdout).toContain('Update 3/3');
    expect(long.stdout).toContain('"stage": "at 50"');
  });

  it('aborts a running orchestration with a reason', async () => {
    let release: (() => void) | undefined;
    const slow = await f.service({
      name: 'slow',
      input: { orderId: 'string' },
      output: { ok: 'boolean' },
      handler: () => new Promise((r) => (release = () => r({ ok: true }))),
    });
    f.onDispose(() => release?.());
    const plan = f.planFile('slow', [[slow.id, { orderId: '$task0.orderId' }]]);
    const { id } = await f.json(['verify', 'run', 'Slow ORD12', '--plan', plan, '-d', 'orderId:ORD12']);
    await waitFor(() => release, { what: 'the slow task to start' });
    const abort = await f.expectOk(['abort', id, '--reason', 'Customer cancelled']);
    expect(abort.stdout).toContain(`✓ Aborted orchestration ${id}`);
    expect(abort.stdout).toContain('Status: ⊟ Aborted');
    expect((await f.expectOk(['ps'])).stdout).toMatch(new RegExp(`${id} +Slow ORD12 +⊟ Aborted`));
    const inspect = await f.expectOk(['inspect', id]);
    expect(inspect.stdout).toContain('Orchestration Details [ABORTED]');
    expect(inspect.stdout).toMatch(/Abort Information[\s\S]*Reason: +Customer cancelled/);
    const again = await f.run(['abort', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^Error: orchestration o_\w+ is aborted; only pending or processing orchestrations can be aborted\n$/,
    );
  });

  it('reports an action the planner cannot serve as one line, and ps shows it not actionable', async () => {
    const r = await f.run(['verify', 'run', 'What is the weather in Paris tomorrow?']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: preparation failed with status not_actionable: .+\n$/);
    expect((await f.expectOk(['ps'])).stdout).toMatch(
      /What is the weather in Paris to\.\.\. +⊘ Not Actionable/,
    );
    const list = await f.json(['ps']);
    expect(list.notActionable).toHaveLength(1);
    expect((await f.json(['inspect', list.notActionable[0].id])).status).toBe('not_actionable');
  });

  it('refuses an action that negates the use case, naming the use case and why, and runs nothing', async () => {
    const r = await f.run(['verify', 'run', 'Do not refund order ORD8']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^Error: preparation failed with status not_actionable: the action matches no use case of the project's grounding specs: closest use case "Process refund for order \{orderId\}" of grounding spec ecommerce-support \(score 1\) refused: the action is negated \("not"\) \(orchestration o_\w+\)\n$/,
    );
    const id = /orchestration (o_\w+)/.exec(r.stderr)![1]!;
    expect(await f.json(['inspect', id])).toMatchObject({ status: 'not_actionable' });
    expect((await f.json(['inspect', id])).tasks).toBeUndefined();
  });
});
