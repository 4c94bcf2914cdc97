import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging/logger.js';
import { ECOMMERCE_GROUNDING } from './fixtures/ecommerce-grounding.js';
import { newProject, type Api } from './helpers/api.js';
import { FakeLlm, planReply } from './helpers/fake-llm.js';
import { startEcommerceServices } from './helpers/planning-services.js';
import { startService } from './helpers/sdk-services.js';
import { allAttributeText, KIND, viewOf, type SpanView } from './helpers/span-tree.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
/** Marks put into task input and output: no span attribute may ever contain them. */
const SECRET_IN = 'card-4242-secret-input';
const SECRET_OUT = 'secret-output-token';

describe('tracing with an in-memory exporter', () => {
  const exporter = new InMemorySpanExporter();
  const logLines: Record<string, unknown>[] = [];
  let engine: TestEngine;
  let api: Api;
  let apiKey: string;
  const cleanup: (() => unknown)[] = [];
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    const logs = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    engine = await startTestEngine(
      { taskMaxAttempts: 3, taskBackoffMs: 10, taskBackoffCapMs: 20, compensationBackoffMs: 10, webhookRetrySchedule: '0s,50ms' },
      undefined,
      createLogger('debug', logs),
      { spanExporter: exporter },
    );
    ({ api, apiKey } = await newProject(engine.url));
    await receiver.listen();
    cleanup.push(() => receiver.close());
    expect((await api.post('/webhooks', { url: receiver.url })).status).toBe(201);
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await engine.dispose();
  });

  const spans = (): SpanView[] => exporter.getFinishedSpans().map((s) => viewOf(s as never));
  const ofOrchestration = (id: string) => spans().filter((s) => s.attributes['orra.orchestration.id'] === id);

  async function service(name: string, input: Record<string, string>, handler: (t: any) => Promise<unknown>, extra = {}) {
    const svc = await startService({ orraUrl: engine.url, apiKey, name, input, output: { ref: 'string' }, handler, ...extra });
    cleanup.push(() => svc.shutdown());
    return svc;
  }

  /** POST /orchestrations with the caller's traceparent. */
  async function run(body: unknown): Promise<string> {
    const res = await fetch(`${engine.url}/orchestrations`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${apiKey}`,
        traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  async function ended(id: string): Promise<SpanView> {
    return waitFor(() => ofOrchestration(id).find((s) => s.name === 'orchestration.run'), { what: `orchestration.run of ${id}`, timeoutMs: 30_000 });
  }

  it('traces a diamond: request, anchor, one execute_task per task under it, closing run span from the stored creation time', async () => {
    const seen = new Map<string, any>();
    const handler = (name: string) => async (t: any) => {
      seen.set(name, { traceparent: t.traceparent, executionId: t.executionId });
      return { ref: `${name}-${SECRET_OUT}` };
    };
    const a = await service('diamond-a', { orderId: 'string' }, handler('a'));
    const b = await service('diamond-b', { ref: 'string' }, handler('b'));
    const c = await service('diamond-c', { ref: 'string' }, handler('c'));
    const d = await service('diamond-d', { left: 'string', right: 'string' }, handler('d'));
    const id = await run({
      action: { content: 'diamond' },
      data: [{ field: 'orderId', value: SECRET_IN }],
      plan: {
        tasks: [
          { id: 'task1', service: a.id, input: { orderId: '$task0.orderId' } },
          { id: 'task2', service: b.id, input: { ref: '$task1.ref' } },
          { id: 'task3', service: c.id, input: { ref: '$task1.ref' } },
          { id: 'task4', service: d.id, input: { left: '$task2.ref', right: '$task3.ref' } },
        ],
      },
    });
    const runSpan = await ended(id);
    const all = spans();
    const server = all.find((s) => s.name === 'POST /orchestrations' && s.traceId === CALLER_TRACE);
    expect(server).toMatchObject({ kind: KIND.server, parentSpanId: CALLER_SPAN });
    expect(server!.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/orchestrations', 'http.response.status_code': 202 });
    const mine = ofOrchestration(id);
    const start = mine.find((s) => s.name === 'orchestration.start')!;
    expect(start).toMatchObject({ kind: KIND.internal, traceId: CALLER_TRACE, parentSpanId: server!.spanId });
    // Exported as soon as it started: it ended at the creation time, before any task ran.
    const stored = (await engine.store.orchestrations.getById(id))!;
    expect(start.endMs).toBe(stored.createdAt);
    expect(JSON.parse(stored.traceContext!).traceparent).toBe(`00-${CALLER_TRACE}-${start.spanId}-01`);

    const attempts = mine.filter((s) => s.name.startsWith('execute_task '));
    expect(attempts.map((s) => s.name).sort()).toEqual(['execute_task diamond-a', 'execute_task diamond-b', 'execute_task diamond-c', 'execute_task diamond-d']);
    for (const s of attempts) {
      expect(s).toMatchObject({ kind: KIND.client, traceId: CALLER_TRACE, parentSpanId: start.spanId });
      expect(s.attributes).toMatchObject({ 'orra.project.id': stored.projectId, 'orra.task.attempt': 1, 'orra.task.result': 'completed', 'orra.task.queue_delay_ms': 0 });
      // The service got exactly this attempt's context in its task_request.
      const name = String(s.attributes['orra.service.name']).slice('diamond-'.length);
      expect(seen.get(name)).toEqual({ traceparent: `00-${CALLER_TRACE}-${s.spanId}-01`, executionId: s.attributes['orra.task.execution_id'] });
    }
    const byTask = (t: string) => attempts.find((s) => s.attributes['orra.task.id'] === t)!;
    // task4 starts once task2 and task3 have ended. Some span times come from the engine's millisecond
    // clock and others from the OpenTelemetry SDK's high-resolution one, whose origins differ by up to
    // a millisecond: the order is checked to that precision (a full run once saw 175.x against 176).
    expect(byTask('task4').startMs).toBeGreaterThanOrEqual(Math.max(byTask('task2').endMs, byTask('task3').endMs) - 1);

    expect(runSpan).toMatchObject({ kind: KIND.internal, traceId: CALLER_TRACE, parentSpanId: start.spanId });
    expect(runSpan.attributes['orra.orchestration.result']).toBe('completed');
    // The span ends as the final state is decided; its commit may land a moment later.
    const final = await waitFor(async () => {
      const r = await engine.store.orchestrations.getById(id);
      return r?.status === 'completed' ? r : undefined;
    }, { what: 'the final state in storage' });
    expect(runSpan.startMs).toBe(final.createdAt);
    expect(runSpan.endMs).toBe(final.updatedAt);

    // The webhook receiver is called within the same trace, under the anchor; the body is untouched.
    const hook = await waitFor(() => receiver.received.find((h) => h.json?.orchestration_id === id), { what: 'the webhook' });
    const deliver = await waitFor(() => ofOrchestration(id).find((s) => s.name === 'webhook.deliver orchestration.completed'), { what: 'webhook.deliver span' });
    expect(hook.headers.traceparent).toBe(`00-${CALLER_TRACE}-${deliver.spanId}-01`);
    expect(hook.json).not.toHaveProperty('traceparent');
    expect(deliver).toMatchObject({ kind: KIND.client, parentSpanId: start.spanId });
    expect(deliver.attributes).toMatchObject({ 'http.response.status_code': 200, 'orra.event.type': 'orchestration.completed', 'url.full': receiver.url });

    // No task input, output or webhook body in any attribute.
    const text = allAttributeText(spans());
    expect(text).not.toContain(SECRET_IN);
    expect(text).not.toContain(SECRET_OUT);
  });

  it('shows one execute_task span per attempt of a retried task, the failed one marked as an error', async () => {
    let calls = 0;
    const flaky = await service('flaky', { orderId: 'string' }, async () => {
      calls += 1;
      if (calls === 1) throw new Error(`first try fails ${SECRET_IN}`);
      return { ref: 'ok' };
    });
    const id = await run({
      action: { content: 'retry' },
      data: [{ field: 'orderId', value: 'O1' }],
      plan: { tasks: [{ id: 'task1', service: flaky.id, input: { orderId: '$task0.orderId' } }] },
    });
    await ended(id);
    const attempts = ofOrchestration(id)
      .filter((s) => s.name === 'execute_task flaky')
      .sort((x, y) => x.startMs - y.startMs);
    expect(attempts.map((s) => [s.attributes['orra.task.attempt'], s.attributes['orra.task.result'], s.attributes['error.type'] ?? null, s.statusCode])).toEqual([
      [1, 'failed', 'task_error', 2],
      [2, 'completed', null, 0],
    ]);
    expect(attempts[0]!.attributes['orra.task.execution_id']).not.toBe(attempts[1]!.attributes['orra.task.execution_id']);
    expect(allAttributeText(spans())).not.toContain(SECRET_IN);
  });

  it('gives each compensation attempt a span under the anchor, linked to the attempt it undoes, in the order they ran', async () => {
    const reverts: any[] = [];
    const revertible = (name: string) =>
      service(name, { orderId: 'string' }, async (t: any) => ({ ref: `${name}-${t.input.orderId}` }), {
        output: { ref: 'string' },
        revertible: true,
        onRevert: async (original: any) => {
          reverts.push({ name, originalTraceparent: original.traceparent });
        },
      });
    const inventory = await revertible('inventory');
    const payment = await revertible('payment');
    const courier = await service('courier', { orderId: 'string' }, async () => {
      throw new Error('no courier');
    });
    const id = await run({
      action: { content: 'order' },
      data: [{ field: 'orderId', value: 'O2' }],
      plan: {
        tasks: [
          { id: 'task1', service: inventory.id, input: { orderId: '$task0.orderId' } },
          { id: 'task2', service: payment.id, input: { orderId: '$task1.ref' } },
          { id: 'task3', service: courier.id, input: { orderId: '$task2.ref' } },
        ],
      },
    });
    const runSpan = await ended(id);
    expect(runSpan.attributes).toMatchObject({ 'orra.orchestration.result': 'failed', 'error.type': 'orchestration_failed' });
    expect(runSpan.statusCode).toBe(2);
    const compensations = await waitFor(
      () => {
        const found = ofOrchestration(id).filter((s) => s.name.startsWith('compensate '));
        return found.length === 2 ? found.sort((x, y) => x.startMs - y.startMs) : undefined;
      },
      { what: 'two compensate spans', timeoutMs: 30_000 },
    );
    const start = ofOrchestration(id).find((s) => s.name === 'orchestration.start')!;
    const attemptOf = (task: string) => ofOrchestration(id).find((s) => s.name.startsWith('execute_task') && s.attributes['orra.task.id'] === task)!;
    expect(compensations.map((s) => s.name)).toEqual(['compensate payment', 'compensate inventory']);
    expect(compensations.map((s) => s.links)).toEqual([
      [{ traceId: CALLER_TRACE, spanId: attemptOf('task2').spanId }],
      [{ traceId: CALLER_TRACE, spanId: attemptOf('task1').spanId }],
    ]);
    for (const s of compensations) {
      expect(s).toMatchObject({ kind: KIND.client, traceId: CALLER_TRACE, parentSpanId: start.spanId });
      expect(s.attributes).toMatchObject({ 'orra.compensation.attempt': 1, 'orra.compensation.result': 'completed' });
    }
    // The SDK keeps the original task_request for its revert handler, so its traceparent comes back there.
    expect(reverts.map((r) => [r.name, r.originalTraceparent])).toEqual([
      ['payment', `00-${CALLER_TRACE}-${attemptOf('task2').spanId}-01`],
      ['inventory', `00-${CALLER_TRACE}-${attemptOf('task1').spanId}-01`],
    ]);
  });

  it("continues the engine's trace in our SDK: with a tracer, the handler runs in a child span of the attempt", async () => {
    // A traced service installs a context manager (NodeSDK does); the engine itself never does.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    cleanup.push(() => context.disable());
    const serviceSpans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(serviceSpans)] });
    let activeInHandler: string | undefined;
    const svc = await service(
      'traced-svc',
      { orderId: 'string' },
      async () => {
        activeInHandler = trace.getActiveSpan()?.spanContext().spanId;
        return { ref: 'ok' };
      },
      { tracer: provider.getTracer('traced-svc') },
    );
    const id = await run({
      action: { content: 'traced service' },
      data: [{ field: 'orderId', value: 'O3' }],
      plan: { tasks: [{ id: 'task1', service: svc.id, input: { orderId: '$task0.orderId' } }] },
    });
    await ended(id);
    const attempt = ofOrchestration(id).find((s) => s.name === 'execute_task traced-svc')!;
    const [handled] = serviceSpans.getFinishedSpans().map((s) => viewOf(s as never));
    expect(handled).toMatchObject({ name: 'handle_task traced-svc', kind: KIND.server, traceId: CALLER_TRACE, parentSpanId: attempt.spanId });
    expect(handled!.attributes).toMatchObject({ 'orra.task.id': 'task1', 'orra.task.execution_id': attempt.attributes['orra.task.execution_id'] });
    expect(activeInHandler).toBe(handled!.spanId);
    await provider.shutdown();
  });

  it("continues the engine's trace in our SDK's revert handler: with a tracer, it runs in a child span of the compensate attempt", async () => {
    // As above: a traced service has a context manager (the first call registers it; later ones keep it).
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    cleanup.push(() => context.disable());
    const serviceSpans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(serviceSpans)] });
    let activeInRevert: string | undefined;
    const svc = await service('traced-revertible', { orderId: 'string' }, async () => ({ ref: 'reserved' }), {
      revertible: true,
      onRevert: async () => {
        activeInRevert = trace.getActiveSpan()?.spanContext().spanId;
      },
      tracer: provider.getTracer('traced-revertible'),
    });
    const broken = await service('broken-after-traced', { orderId: 'string' }, async () => {
      throw new Error('fails so the first task is undone');
    });
    const id = await run({
      action: { content: 'traced revert' },
      data: [{ field: 'orderId', value: 'O4' }],
      plan: {
        tasks: [
          { id: 'task1', service: svc.id, input: { orderId: '$task0.orderId' } },
          { id: 'task2', service: broken.id, input: { orderId: '$task1.ref' } },
        ],
      },
    });
    await ended(id);
    const compensate = await waitFor(() => ofOrchestration(id).find((s) => s.name === 'compensate traced-revertible'), {
      what: 'the compensate span',
      timeoutMs: 30_000,
    });
    const handled = await waitFor(
      () => serviceSpans.getFinishedSpans().map((s) => viewOf(s as never)).find((s) => s.name === 'handle_compensation traced-revertible'),
      { what: 'the revert handler span' },
    );
    expect(handled).toMatchObject({ kind: KIND.server, traceId: CALLER_TRACE, parentSpanId: compensate.spanId });
    expect(handled.attributes).toMatchObject({ 'orra.task.id': 'task1', 'orra.service.id': svc.id });
    expect(handled.statusCode).toBe(0);
    expect(activeInRevert).toBe(handled.spanId);
    await provider.shutdown();
  });

  it("follows the caller's sampling decision: an unsampled traceparent records no span of the orchestration, yet the context still travels", async () => {
    const seen: string[] = [];
    const svc = await service('unsampled-svc', { orderId: 'string' }, async (t: any) => {
      seen.push(t.traceparent);
      return { ref: 'ok' };
    });
    const res = await fetch(`${engine.url}/orchestrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-00` },
      body: JSON.stringify({
        action: { content: 'unsampled' },
        data: [{ field: 'orderId', value: 'O5' }],
        plan: { tasks: [{ id: 'task1', service: svc.id, input: { orderId: '$task0.orderId' } }] },
      }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const final = await waitFor(async () => {
      const r = await engine.store.orchestrations.getById(id);
      return r?.status === 'completed' ? r : undefined;
    }, { what: 'the orchestration to complete' });
    // The run span would have ended before the final state was stored: none of this orchestration's exist.
    expect(ofOrchestration(id)).toEqual([]);
    expect(JSON.parse(final.traceContext!).traceparent).toMatch(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-00$`));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-00$`));
  });

  it('traces planning under the request, and log lines written while planning carry its trace_id and span_id', async () => {
    const project = await newProject(engine.url, 'planning-project');
    const services = await startEcommerceServices(engine.url, project.apiKey);
    cleanup.push(() => services.shutdown());
    expect((await project.api.post('/groundings', ECOMMERCE_GROUNDING)).status).toBe(201);
    logLines.length = 0;
    const res = await fetch(`${engine.url}/orchestrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${project.apiKey}`, traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
      body: JSON.stringify({ action: { content: 'Process refund for order ORD1' } }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const server = await waitFor(() => spans().find((s) => s.name === 'POST /orchestrations' && s.attributes['orra.project.id'] === undefined && s.endMs >= 0 && spans().some((p) => p.name === 'orchestration.plan' && p.parentSpanId === s.spanId)), { what: 'the request span with its planning span' });
    const plan = spans().find((s) => s.name === 'orchestration.plan' && s.parentSpanId === server.spanId)!;
    expect(plan).toMatchObject({ kind: KIND.internal, traceId: CALLER_TRACE });
    expect(plan.attributes['orra.project.id']).toBe(project.projectId);
    const start = ofOrchestration(id).find((s) => s.name === 'orchestration.start')!;
    expect(start.parentSpanId).toBe(server.spanId);
    const line = logLines.find((l) => l.msg === 'grounded plan');
    expect(line).toMatchObject({ trace_id: CALLER_TRACE, span_id: plan.spanId });
    await ended(id);
  });
});

describe('tracing the LLM planner', () => {
  it('gives each model call a client span under orchestration.plan, with GenAI attributes and no prompt', async () => {
    const exporter = new InMemorySpanExporter();
    const llm = await new FakeLlm().start();
    const engine = await startTestEngine({ llmApiBaseUrl: llm.url, llmModel: 'test-model', llmTimeoutMs: 10_000 }, undefined, undefined, { spanExporter: exporter });
    try {
      const { apiKey } = await newProject(engine.url);
      const services = await startEcommerceServices(engine.url, apiKey);
      try {
        llm.reply(
          planReply({
            tasks: [
              { id: 'task0', input: { orderId: SECRET_IN } },
              { id: 'task1', service: services.ids.orders, input: { orderId: '$task0.orderId' } },
            ],
          }),
        );
        const res = await fetch(`${engine.url}/orchestrations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
          body: JSON.stringify({ action: { content: 'Look up order' }, data: [{ field: 'orderId', value: SECRET_IN }] }),
        });
        expect(res.status).toBe(202);
        const all = exporter.getFinishedSpans().map((x) => viewOf(x as never));
        const plan = all.find((x) => x.name === 'orchestration.plan')!;
        const chat = all.find((x) => x.name === 'chat test-model')!;
        expect(plan.traceId).toBe(CALLER_TRACE);
        expect(chat).toMatchObject({ kind: KIND.client, traceId: CALLER_TRACE, parentSpanId: plan.spanId });
        expect(chat.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'test-model', 'orra.planner.attempt': 1 });
        expect(allAttributeText(all)).not.toContain(SECRET_IN);
      } finally {
        await services.shutdown();
      }
    } finally {
      await engine.dispose();
      await llm.close();
    }
  });
});

describe('tracing off', () => {
  it('adds no traceparent to task_request and stores no trace context when nothing configures it', async () => {
    const engine = await startTestEngine();
    try {
      expect(engine.tracing.isEnabled).toBe(false);
      const { apiKey } = await newProject(engine.url);
      let received: any;
      const svc = await startService({
        orraUrl: engine.url,
        apiKey,
        name: 'plain',
        input: { orderId: 'string' },
        output: { ref: 'string' },
        handler: async (t: any) => {
          received = t;
          return { ref: 'x' };
        },
      });
      try {
        const res = await fetch(`${engine.url}/orchestrations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
          body: JSON.stringify({ action: { content: 'x' }, data: [{ field: 'orderId', value: 'O' }], plan: { tasks: [{ id: 'task1', service: svc.id, input: { orderId: '$task0.orderId' } }] } }),
        });
        const { id } = (await res.json()) as { id: string };
        await waitFor(() => received, { what: 'the task' });
        expect(Object.keys(received)).not.toContain('traceparent');
        expect(Object.keys(received)).not.toContain('tracestate');
        expect((await engine.store.orchestrations.getById(id))!.traceContext).toBeUndefined();
      } finally {
        await svc.shutdown();
      }
    } finally {
      await engine.dispose();
    }
  });
});
