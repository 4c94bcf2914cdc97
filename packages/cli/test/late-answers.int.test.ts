import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../engine/test/helpers/wait-for.js';
import { CliFixture } from './helpers/cli-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Work still running in a service when its orchestration is aborted finishes anyway (issue 11, item 2):
 * its result is never dropped. A revertible service's result is compensated like any completed task; a
 * non-revertible one's is recorded for the operators. Both show in `inspect` (API and CLI).
 */
describe('late answers of an aborted orchestration', () => {
  const f = new CliFixture();
  beforeAll(() => f.start());
  afterAll(() => f.dispose());

  it('compensates the late result of a revertible task that was running when the orchestration was aborted', async () => {
    const reverted: unknown[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const payment = await f.service({
      name: 'payment',
      input: { orderId: 'string' },
      output: { ref: 'string' },
      revertible: true,
      handler: async (t) => {
        started();
        await sleep(5_000);
        return { ref: `pay-${t.input.orderId}` };
      },
      onRevert: async (_task, result) => {
        reverted.push(result);
      },
    });
    const plan = f.planFile('charge', [[payment.id, { orderId: '$task0.orderId' }]]);
    const { id } = await f.json(['verify', 'run', 'Charge order ORD1', '--plan', plan, '-d', 'orderId:ORD1']);
    await running;
    await f.expectOk(['abort', id, '--reason', 'customer cancelled']);
    expect((await f.json(['inspect', id])).status).toBe('aborted');

    await waitFor(() => reverted.length > 0, { what: 'the late result to be reverted', timeoutMs: 30_000 });
    expect(reverted).toEqual([{ ref: 'pay-ORD1' }]);
    const view = await f.settled(id, (v) => v.tasks[0].compensation?.status === 'completed');
    expect(view.tasks[0].lateAnswers).toEqual([
      expect.objectContaining({
        of: 'task',
        outcome: 'result',
        output: { ref: 'pay-ORD1' },
        disposition: 'compensating',
        reason: 'the work had already ended',
      }),
    ]);
    expect(view.tasks[0].compensationHistory.map((h: any) => h.status)).toEqual(['processing', 'completed']);

    const table = (await f.expectOk(['inspect', id])).stdout;
    expect(table).toContain('task1: ⚠ late result (compensating it)');
    const detail = (await f.expectOk(['inspect', id, '-d'])).stdout;
    expect(detail).toContain('Late Answers');
    // Undone by the engine: the compensation reports it; no "check it by hand" operator event.
    expect(await lateResultEvents(id)).toEqual([]);
    expect(detail).toContain('the work had already ended; execution e_');
  });

  it('records the late result of a non-revertible task for the operators', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    const mailer = await f.service({
      name: 'mailer',
      input: { orderId: 'string' },
      output: { sent: 'boolean' },
      handler: async () => {
        started();
        await sleep(2_000);
        finished();
        return { sent: true };
      },
    });
    const plan = f.planFile('mail', [[mailer.id, { orderId: '$task0.orderId' }]]);
    const { id } = await f.json(['verify', 'run', 'Mail order ORD2', '--plan', plan, '-d', 'orderId:ORD2']);
    await running;
    await f.expectOk(['abort', id]);
    await done;

    const view = await f.settled(id, (v) => (v.tasks[0].lateAnswers?.length ?? 0) > 0);
    expect(view.tasks[0].lateAnswers).toEqual([
      expect.objectContaining({ of: 'task', outcome: 'result', output: { sent: true }, disposition: 'recorded' }),
    ]);
    expect(view.tasks[0].compensation).toBeUndefined();
    const table = (await f.expectOk(['inspect', id])).stdout;
    expect(table).toContain('task1: ⚠ late result (recorded; the engine cannot undo it: check it by hand)');

    // Reported as an operator event (to operator endpoints and in the feed), once.
    const events = await lateResultEvents(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'task.late_result',
      subject: id,
      data: {
        type: 'task.late_result',
        orchestration_id: id,
        task_id: 'task1',
        service_id: mailer.id,
        orchestration_status: 'aborted',
        reason: 'the work had already ended',
        links: { api: `/orchestrations/inspections/${id}`, cli: `orra inspect ${id}` },
      },
    });
  });

  async function lateResultEvents(id: string): Promise<any[]> {
    const res = await fetch(`${f.engine.url}/events?type=task.late_result&orchestration_id=${id}`, {
      headers: { authorization: `Bearer ${f.apiKey}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: any[] }).data;
  }
});
