import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine } from '../../engine/test/helpers/test-engine.js';
import { testHome } from './helpers/cli.js';
import { allCompensated, CliFixture } from './helpers/cli-fixture.js';

/**
 * What the operator reads: each message says what went wrong and what to do, usage errors exit 2, and
 * what the views show after an operator's abort or retry.
 */
describe('messages an operator reads', () => {
  const f = new CliFixture();
  let release: () => void = () => undefined;
  let plans: { undone: string; held: string };

  beforeAll(async () => {
    await f.start({
      taskMaxAttempts: 1,
      compensationMaxAttempts: 2,
      compensationBackoffMs: 10,
      compensationBackoffCapMs: 20,
      webhookDenyPrivate: true,
    });
    const gate = new Promise<void>((resolve) => (release = resolve));
    f.onDispose(() => release());
    const inventory = await f.inventory(async () => {
      throw new Error('warehouse API down');
    });
    const courier = await f.service({
      name: 'courier',
      input: { holdId: 'string' },
      output: { eta: 'string' },
      handler: async (t) => {
        if (t.input.holdId === 'hold-HELD') await gate;
        throw new Error('no courier available');
      },
    });
    const steps: [string, Record<string, unknown>][] = [
      [inventory.id, { orderId: '$task0.orderId' }],
      [courier.id, { holdId: '$task1.holdId' }],
    ];
    plans = { undone: f.planFile('undone', steps), held: f.planFile('held', steps) };
  });
  afterAll(() => f.dispose());

  /** A failed orchestration whose compensation failed for good: the pending failure. */
  async function failedCompensation(orderId: string): Promise<{ orchestrationId: string; id: string }> {
    const run = ['verify', 'run', `Ship ${orderId}`, '--plan', plans.undone, '-d', `orderId:${orderId}`];
    const { id: orchestrationId } = await f.json(run);
    await f.settled(orchestrationId, allCompensated);
    const [record] = await f.json(['comp-fail', 'ls', '-o', orchestrationId]);
    return { orchestrationId, id: record.id };
  }

  it('counts a manual retry as one attempt beyond the automatic ones, and says so', async () => {
    const { orchestrationId, id } = await failedCompensation('ORD1');
    const retry = await f.run(['comp-fail', 'retry', id]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toBe(
      `Error: manual retry (attempt 3) failed: warehouse API down; ${id} stays pending (see 'orra comp-fail inspect ${id}')\n`,
    );
    const record = await f.json(['comp-fail', 'inspect', id]);
    expect(record).toMatchObject({
      attemptsMade: 3,
      maxAttempts: 2,
      failure: 'manual retry (attempt 3) failed: warehouse API down',
    });
    expect((await f.expectOk(['comp-fail', 'inspect', id])).stdout).toContain(
      '│ Attempts:      3 (2 automatic + 1 manual retry)\n',
    );
    const detail = (await f.expectOk(['inspect', orchestrationId, '-d'])).stdout;
    expect(detail).toMatch(
      /✕ Failed \(2\/2\) - max compensation attempts \(2\) reached: warehouse API down\n/,
    );
    expect(detail).toMatch(/◎ Processing \(manual retry, attempt 3\)\n/);
    expect(detail).toMatch(/task1 +inventory +● Completed +✕ Failed \(attempt 3\) /);
  });

  it('refuses a blank --reason as a usage error (exit 2) and changes nothing', async () => {
    const { id } = await failedCompensation('ORD2');
    for (const args of [
      ['comp-fail', 'resolve', id, '--reason', ''],
      ['comp-fail', 'ignore', id, '-r', '  '],
      ['abort', 'o_anything', '--reason', ''],
    ]) {
      const r = await f.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(
        /^Error: option '.*--reason <text>' argument '.*' is invalid\. It must not be blank: say why, e\.g\. --reason "Customer cancelled"; see 'orra (comp-fail resolve|comp-fail ignore|abort) --help'\n$/,
      );
    }
    expect((await f.json(['comp-fail', 'inspect', id])).resolutionState).toBe('pending');
  });

  it('matches comp-fail ls -o in any case, as documented', async () => {
    const { orchestrationId, id } = await failedCompensation('ORD3');
    for (const o of [orchestrationId.toLowerCase(), orchestrationId.toUpperCase().slice(2, 12)]) {
      const ids = (await f.json(['comp-fail', 'ls', '-o', o])).map((r: any) => r.id);
      expect(ids, o).toEqual([id]);
    }
  });

  it("shows an operator's abort without empty Task and Service rows", async () => {
    const { id } = await f.json(['verify', 'run', 'Ship HELD', '--plan', plans.held, '-d', 'orderId:HELD']);
    await f.settled(id, (v) => v.tasks[1].status === 'processing');
    await f.expectOk(['abort', id, '--reason', 'Customer cancelled']);
    const view = await f.json(['inspect', id]);
    expect(view.abortInfo).toEqual({ payload: { reason: 'Customer cancelled', abortedBy: 'operator' } });
    const text = (await f.expectOk(['inspect', id])).stdout;
    expect(text).toContain(
      '┌─ Abort Information\n│ AbortedBy: operator\n│ Reason:    Customer cancelled\n└─────',
    );
    expect(text).not.toMatch(/Task: |Service: /);
  });

  it('names the existing endpoint of a duplicate webhook, and the way out of a refused address', async () => {
    await f.expectOk(['webhooks', 'add', 'https://hooks.example.invalid/orra']);
    const [endpoint] = await f.json(['webhooks', 'ls']);
    const dup = await f.run(['webhooks', 'add', 'https://hooks.example.invalid/orra']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe(
      `Error: url: https://hooks.example.invalid/orra is already one of this project's orchestration webhooks (${endpoint.id})\n`,
    );
    // Removed at once, so no event is ever sent there (and an .invalid name never resolves).
    await f.expectOk(['webhooks', 'rm', endpoint.id]);
    const metadata = await f.run(['webhooks', 'add', 'http://169.254.169.254/latest']);
    expect(metadata.stderr).toBe(
      'Error: url: http://169.254.169.254/latest is refused: 169.254.169.254 is a link-local or cloud-metadata address, where webhooks are never sent; use an address of the receiver\n',
    );
    const loopback = await f.run(['comp-fail', 'webhooks', 'add', 'http://127.0.0.1:3000/hooks']);
    expect(loopback.stderr).toBe(
      'Error: url: http://127.0.0.1:3000/hooks is refused: 127.0.0.1 is a loopback or private address, refused while ORRA_WEBHOOK_DENY_PRIVATE is on; use a public address of the receiver, or set ORRA_WEBHOOK_DENY_PRIVATE=false on the engine\n',
    );
  });

  it('ends a choice error with the pointer to --help, not ".;"', async () => {
    const r = await f.run(['comp-fail', 'ls', '-r', 'maybe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "Error: option '-r, --resolution <state>' argument 'maybe' is invalid. Allowed choices are pending, resolved, ignored; see 'orra comp-fail ls --help'\n",
    );
  });

  it('names the body limit and the setting that raises it in a 413', async () => {
    const engine = await startTestEngine({ bodyLimitBytes: 2048 });
    try {
      const home = testHome();
      expect((await home.run(['projects', 'add', 'tiny', '--server', engine.url])).code).toBe(0);
      const r = await home.run(['verify', 'run', 'Big order', '-d', `note:${'x'.repeat(3000)}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'Error: request body is larger than the limit of 2048 bytes (2 KiB); send a smaller body, or raise the limit with ORRA_BODY_LIMIT_BYTES (bodyLimitBytes in the config file)\n',
      );
    } finally {
      await engine.dispose();
    }
  });
});
