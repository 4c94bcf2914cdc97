import { MAX_FRAME_BYTES } from '@orra/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { startService } from './helpers/sdk-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

const MiB = 1024 * 1024;

/**
 * No message the engine sends is larger than a service accepts (one WebSocket frame of MAX_FRAME_BYTES,
 * what the SDK's socket takes). A larger one would close the service's socket with 1009, and every
 * re-send would close it again: the service would be offline for good. These run real SDK services,
 * whose sockets refuse larger frames.
 */
describe('WebSocket message size', () => {
  let engine: TestEngine;
  let api: Api;
  let apiKey: string;
  const cleanup: (() => unknown)[] = [];

  beforeAll(async () => {
    engine = await startTestEngine({
      taskMaxAttempts: 1,
      compensationMaxAttempts: 2,
      compensationBackoffMs: 10,
    });
    ({ api, apiKey } = await newProject(engine.url));
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await engine.dispose();
  });

  /** A service that records the tasks it gets and answers with `answer(input)`. */
  async function service(
    name: string,
    fields: Record<string, string>,
    answer: (input: any) => unknown,
    revertible = false,
  ) {
    const received: any[] = [];
    const reverted: any[] = [];
    const svc = await startService({
      orraUrl: engine.url,
      apiKey,
      name,
      input: fields,
      output: { blob: 'string' },
      handler: async (task) => {
        received.push(task.input);
        return answer(task.input);
      },
      ...(revertible
        ? {
            revertible: true,
            onRevert: async (_task: any, _result: any, context: any) => {
              reverted.push(context);
              return { status: 'completed' };
            },
          }
        : {}),
    });
    cleanup.push(() => svc.shutdown());
    return Object.assign(svc, { received, reverted });
  }

  const view = (id: string) => api.get(`/orchestrations/inspections/${id}`).then((r) => r.body);

  it('refuses at submission, with 413 naming the limit, a task whose input from "data" could never be sent', async () => {
    const echo = await service('big-echo', { text: 'string' }, (input) => ({
      blob: String(input.text).slice(0, 10),
    }));
    const before = JSON.stringify((await api.get('/orchestrations')).body);
    const res = await api.post('/orchestrations', {
      action: { content: 'echo a 15 MiB text' },
      data: [{ field: 'text', value: 'x'.repeat(15 * MiB) }], // under the 16 MiB body limit
      plan: { tasks: [{ id: 'task1', service: echo.id, input: { text: '$task0.text' } }] },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('Orra:PayloadTooLarge');
    expect(res.body.error.param).toBe('data');
    expect(res.body.error.message).toContain('task1 (service big-echo) cannot be sent');
    expect(res.body.error.message).toContain(
      `over the 10 MiB WebSocket message limit (${MAX_FRAME_BYTES} bytes; fixed by the protocol`,
    );
    expect(res.body.error.message).toContain('by reference');
    // Nothing stored, nothing sent, and the service still takes work.
    expect(JSON.stringify((await api.get('/orchestrations')).body)).toBe(before);
    expect(echo.received).toEqual([]);
    const small = await api.post('/orchestrations', {
      action: { content: 'echo a small text' },
      data: [{ field: 'text', value: 'hello' }],
      plan: { tasks: [{ id: 'task1', service: echo.id, input: { text: '$task0.text' } }] },
    });
    await waitFor(async () => (await view(small.body.id)).status === 'completed', { what: 'the small echo' });
  });

  it('fails a task whose input wired from an earlier output would not fit, undoes the earlier work, and keeps the service online', async () => {
    // A 6 MiB result fits a message; task3 takes the blob twice: 12 MiB does not.
    const stamper = await service('stamper', { n: 'number' }, () => ({ blob: 'stamped' }), true);
    const producer = await service('blob-maker', { blob: 'string' }, () => ({ blob: 'b'.repeat(6 * MiB) }));
    const consumer = await service('blob-eater', { a: 'string', b: 'string' }, () => ({ blob: 'eaten' }));
    const res = await api.post('/orchestrations', {
      action: { content: 'stamp, make a blob and eat it twice' },
      data: [{ field: 'n', value: 1 }],
      plan: {
        tasks: [
          { id: 'task1', service: stamper.id, input: { n: '$task0.n' } },
          { id: 'task2', service: producer.id, input: { blob: '$task1.blob' } },
          { id: 'task3', service: consumer.id, input: { a: '$task2.blob', b: '$task2.blob' } },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const failed = await waitFor(
      async () => {
        const v = await view(res.body.id);
        return v.status === 'failed' ? v : undefined;
      },
      { what: 'the orchestration to fail', timeoutMs: 30_000 },
    );
    const error = JSON.stringify(failed.error);
    expect(error).toContain('task3 cannot be sent to service blob-eater');
    expect(error).toContain('over the 10 MiB WebSocket message limit');
    expect(error).toContain('the output of task2 wired into it is too large to pass on');
    expect(consumer.received).toEqual([]);
    // The completed revertible task is undone as for any failure.
    await waitFor(() => stamper.reverted.length === 1, { what: 'task1 compensated' });
    expect(stamper.reverted[0]).toMatchObject({ reason: 'failed' });
    // The consumer was never knocked offline: it runs a task of normal size now.
    const small = await api.post('/orchestrations', {
      action: { content: 'eat two crumbs' },
      data: [
        { field: 'a', value: 'crumb' },
        { field: 'b', value: 'crumb' },
      ],
      plan: { tasks: [{ id: 'task1', service: consumer.id, input: { a: '$task0.a', b: '$task0.b' } }] },
    });
    await waitFor(async () => (await view(small.body.id)).status === 'completed', {
      what: 'the consumer to serve',
    });
  });

  it('fails a task whose result is too large for one message, with the SDK saying so, and keeps the service online', async () => {
    // 11 MiB back from a handler: sent as it is, the engine's socket would close (1009) and the SDK
    // would send it again after every reconnect.
    const hoarder = await service('hoarder', { n: 'number' }, (input) => ({ blob: input.n === 1 ? 'h'.repeat(11 * MiB) : 'small' }));
    const res = await api.post('/orchestrations', {
      action: { content: 'hoard' },
      data: [{ field: 'n', value: 1 }],
      plan: { tasks: [{ id: 'task1', service: hoarder.id, input: { n: '$task0.n' } }] },
    });
    const failed = await waitFor(
      async () => {
        const v = await view(res.body.id);
        return v.status === 'failed' ? v : undefined;
      },
      { what: 'the orchestration to fail', timeoutMs: 30_000 },
    );
    expect(JSON.stringify(failed.error)).toContain('the result is 11.0 MiB, over the 10 MiB WebSocket message limit');
    expect(hoarder.received).toHaveLength(1);
    const small = await api.post('/orchestrations', {
      action: { content: 'hoard a little' },
      data: [{ field: 'n', value: 2 }],
      plan: { tasks: [{ id: 'task1', service: hoarder.id, input: { n: '$task0.n' } }] },
    });
    await waitFor(async () => (await view(small.body.id)).status === 'completed', { what: 'the hoarder to serve' });
  });

  it('sends a compensation that would not fit to the failed-compensation queue instead of to the service', async () => {
    // 4 MiB of compensation data fits; with a 7 MiB abort reason in its context the request does not.
    const holder = await service('blob-holder', { n: 'number' }, () => ({ blob: 'h'.repeat(4 * MiB) }), true);
    const slow = await service('slow-step', { blob: 'string' }, () => new Promise(() => undefined));
    const res = await api.post('/orchestrations', {
      action: { content: 'hold a blob, then wait' },
      data: [{ field: 'n', value: 1 }],
      plan: {
        tasks: [
          { id: 'task1', service: holder.id, input: { n: '$task0.n' } },
          { id: 'task2', service: slow.id, input: { blob: '$task1.blob' } },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await waitFor(() => slow.received.length === 1, { what: 'task2 running' });
    const aborted = await api.post(`/orchestrations/${res.body.id}/abort`, { reason: 'r'.repeat(7 * MiB) });
    expect(aborted.status, JSON.stringify(aborted.body).slice(0, 300)).toBe(200);
    const [failure] = await waitFor(
      async () => {
        const list = (await api.get(`/compensation-failures?orchestration=${res.body.id}`)).body as any[];
        return list?.length ? list : undefined;
      },
      { what: 'the compensation to be queued for operators', timeoutMs: 30_000 },
    );
    expect(failure).toMatchObject({ taskId: 'task1', status: 'failed', resolutionState: 'pending' });
    expect(failure.failure).toContain('the compensation request cannot be sent');
    expect(failure.failure).toContain('over the 10 MiB WebSocket message limit');
    expect(failure.failure).toContain('undo task1 by hand');
    expect(holder.reverted).toEqual([]);
    // The holder is still online: it takes a task of normal size.
    const before = holder.received.length;
    await api.post('/orchestrations', {
      action: { content: 'hold again' },
      data: [{ field: 'n', value: 2 }],
      plan: { tasks: [{ id: 'task1', service: holder.id, input: { n: '$task0.n' } }] },
    });
    await waitFor(() => holder.received.length === before + 1, { what: 'the holder to serve' });
  });
});
