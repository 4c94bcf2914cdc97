import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../engine/test/helpers/webhook-receiver.js';
import { ANSI } from './helpers/cli.js';
import { allCompensated, CliFixture, waitFor } from './helpers/cli-fixture.js';

/**
 * The nine commands of the webhook monitoring guide, end to end through the built `orra` binary:
 * webhooks, a compensation that fails for good, and its resolution by an operator.
 */
describe('the monitoring guide, as written', () => {
  const f = new CliFixture();
  const hooks = new WebhookReceiver();
  let isRefundApiDown = true;
  let refunds: { id: string };
  let delivery: { id: string };

  beforeAll(async () => {
    await f.start({
      taskMaxAttempts: 1,
      compensationMaxAttempts: 1,
      compensationBackoffMs: 10,
      compensationBackoffCapMs: 20,
    });
    await hooks.listen();
    f.onDispose(() => hooks.close());
    refunds = await f.service({
      name: 'refunds',
      input: { orderId: 'string' },
      output: { ref: 'string' },
      revertible: true,
      handler: async (t) => ({ ref: `refund-${t.input.orderId}` }),
      onRevert: async () => {
        if (isRefundApiDown) throw new Error('refund API down');
      },
    });
    delivery = await f.service({
      name: 'delivery',
      input: { orderId: 'string' },
      output: { eta: 'string' },
      handler: async () => {
        throw new Error('no courier available');
      },
    });
  });
  afterAll(() => f.dispose());

  /** Runs a plan whose compensation fails; resolves with the pending failure's id. */
  async function failedCompensation(
    orderId: string,
  ): Promise<{ orchestrationId: string; compensationId: string }> {
    const plan = f.planFile(`order-${orderId}`, [
      [refunds.id, { orderId: '$task0.orderId' }],
      [delivery.id, { orderId: '$task1.ref' }],
    ]);
    const { id } = await f.json(['verify', 'run', 'Place order', '--plan', plan, '-d', `orderId:${orderId}`]);
    await f.settled(id, allCompensated);
    const pending = await waitFor(async () => (await f.json(['comp-fail', 'ls', '-o', id])).at(0), {
      what: 'a pending failure',
    });
    return { orchestrationId: id, compensationId: pending.id };
  }

  it('adds both kinds of webhook and lists them from the server with id, URL and state', async () => {
    const added = await f.expectOk(['webhooks', 'add', `${hooks.url}/orra-notifications`]);
    expect(added.stdout).toContain('New webhook added to project shop:');
    expect(added.stdout).toContain(`Webhook: ${hooks.url}/orra-notifications`);
    expect(added.stdout).toMatch(/Secret: whsec_[A-Za-z0-9+/=]+/);
    const comp = await f.expectOk(['comp-fail', 'webhooks', 'add', `${hooks.url}/compensation-failures`]);
    expect(comp.stdout).toContain('New compensation failure webhook added to project shop:');

    const ls = await f.expectOk(['webhooks', 'ls']);
    expect(ls.stdout).toMatch(/wh_\w+ +http:\/\/127\.0\.0\.1:\d+\/hooks\/orra-notifications +● active/);
    expect(ls.stdout).not.toContain('compensation-failures');
    expect(ls.stdout).not.toContain('whsec_');
    const compLs = await f.expectOk(['comp-fail', 'webhooks', 'ls']);
    expect(compLs.stdout).toContain('/hooks/compensation-failures');
    expect(compLs.stdout).not.toContain('orra-notifications');
    expect(ANSI.test(ls.stdout + compLs.stdout)).toBe(false);
    // Kept in orra's config shape too, so orra's own CLI sees them.
    expect(f.config().projects.shop.webhooks).toEqual([`${hooks.url}/orra-notifications`]);
    expect(f.config().projects.shop.compensation_failure_webhooks).toEqual([
      `${hooks.url}/compensation-failures`,
    ]);
  });

  it('shows the secret only when asked, and it is the one add printed', async () => {
    const [endpoint] = await f.json(['webhooks', 'ls', '--show-secret']);
    const ls = await f.expectOk(['webhooks', 'ls', '--show-secret']);
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(ls.stdout).toContain(endpoint.secret);
  });

  it('lists a pending failed compensation, inspects it, and resolves it with a reason', async () => {
    const { orchestrationId, compensationId } = await failedCompensation('ORD1');

    const ls = await f.expectOk(['comp-fail', 'ls']);
    expect(ls.stdout).toContain('┌─ Failed Compensations (1)');
    expect(ls.stdout).toMatch(
      new RegExp(`${compensationId} +${orchestrationId} +refunds +✕ Failed +○ Pending +just now`),
    );

    const inspect = await f.expectOk(['comp-fail', 'inspect', compensationId]);
    for (const text of [
      'Failed Compensation [PENDING]',
      `Orchestration: ${orchestrationId}`,
      `Service:       refunds (${refunds.id})`,
      'Failure Information',
      'refund API down',
      'Compensation Context',
      'Reason:    failed',
      'Compensation Log',
      'Audit Trail',
      'No operator actions yet',
      `orra comp-fail resolve ${compensationId} --reason`,
    ]) {
      expect(inspect.stdout).toContain(text);
    }

    const resolved = await f.expectOk([
      'comp-fail',
      'resolve',
      compensationId,
      '--reason',
      'Manually refunded customer',
    ]);
    expect(resolved.stdout).toContain('✓ Successfully resolved compensation failure');
    expect(resolved.stdout).toContain('Reason:     Manually refunded customer');

    const after = await f.expectOk(['comp-fail', 'ls']);
    expect(after.stdout).not.toContain(compensationId);
    expect(after.stdout).toContain('No pending failed compensations found');
    const all = await f.expectOk(['comp-fail', 'ls', '--all']);
    expect(all.stdout).toMatch(new RegExp(`${compensationId} .*● Resolved .*Manually refunded customer`));
    const audit = await f.expectOk(['comp-fail', 'inspect', compensationId]);
    expect(audit.stdout).toContain('Failed Compensation [RESOLVED]');
    expect(audit.stdout).toMatch(/resolve +pending → resolved +key \w+ +"Manually refunded customer"/);
    expect(audit.stdout).not.toContain('Management Options');
  });

  it('delivers compensation.failed and orchestration.failed to the webhooks added above', async () => {
    await waitFor(
      () =>
        hooks.received.some(
          (h) => h.path.endsWith('/compensation-failures') && h.json?.type === 'compensation.failed',
        ),
      {
        what: 'compensation.failed webhook',
      },
    );
    expect(
      hooks.received.some(
        (h) => h.path.endsWith('/orra-notifications') && h.json?.type === 'orchestration.failed',
      ),
    ).toBe(true);
  });

  it('retries a failure (still failing: exit 1, stays pending), then ignores it with a reason', async () => {
    const { compensationId } = await failedCompensation('ORD2');
    const retry = await f.run(['comp-fail', 'retry', compensationId]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toMatch(
      new RegExp(
        `^Error: manual retry \\(attempt \\d+\\) failed: refund API down; ${compensationId} stays pending`,
      ),
    );

    const ignored = await f.expectOk([
      'comp-fail',
      'ignore',
      compensationId,
      '--reason',
      'Test transaction, no actual impact',
    ]);
    expect(ignored.stdout).toContain('✓ Successfully ignored compensation failure');
    const all = await f.expectOk(['comp-fail', 'ls', '--all']);
    expect(all.stdout).toMatch(
      new RegExp(`${compensationId} .*⊖ Ignored .*Test transaction, no actual impact`),
    );
    expect((await f.expectOk(['comp-fail', 'ls', '-r', 'ignored'])).stdout).toContain(compensationId);
    const records = await f.json(['comp-fail', 'inspect', compensationId]);
    expect(records.audit.map((a: any) => a.action)).toEqual(['retry_failed', 'ignore']);
  });

  it('retries a failure that now succeeds: resolved, and gone from the pending list', async () => {
    const { compensationId } = await failedCompensation('ORD3');
    isRefundApiDown = false;
    const retry = await f.expectOk(['comp-fail', 'retry', compensationId]);
    expect(retry.stdout).toContain('✓ Compensation succeeded on retry; the failure is resolved');
    expect(await f.json(['comp-fail', 'ls'])).toEqual([]);
    const [record] = await f.json(['comp-fail', 'ls', '--all', '-s', 'REFUND', '-r', 'resolved', '-l', '1']);
    expect(record.resolutionState).toBe('resolved');
  });

  it('prints every list and record as JSON that parses', async () => {
    const all = await f.json(['comp-fail', 'ls', '--all']);
    expect(all.length).toBe(3);
    expect(all.every((r: any) => r.id.startsWith('c_'))).toBe(true);
    expect((await f.json(['comp-fail', 'inspect', all[0].id])).audit.length).toBeGreaterThan(0);
    expect((await f.json(['webhooks', 'ls']))[0]).toMatchObject({ kind: 'orchestration', enabled: true });
    expect((await f.json(['comp-fail', 'webhooks', 'ls']))[0]).toMatchObject({
      kind: 'compensation_failure',
    });
    const added = await f.json(['comp-fail', 'webhooks', 'add', `${hooks.url}/second`]);
    expect(added).toMatchObject({ url: `${hooks.url}/second`, secret: expect.stringMatching(/^whsec_/) });
    const resolved = await f.run(['comp-fail', 'resolve', all[0].id, '--reason', 'again', '--json']);
    expect(resolved.code).toBe(1); // already resolved: the engine refuses, one line
    expect(resolved.stderr.trim().split('\n')).toHaveLength(1);
  });
});
