import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECOMMERCE_GROUNDING } from './fixtures/ecommerce-grounding.js';
import { newProject, type Api } from './helpers/api.js';
import { FakeLlm, planReply } from './helpers/fake-llm.js';
import { startEcommerceServices } from './helpers/planning-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

describe('LLM planner (against a local OpenAI-compatible server)', () => {
  let llm: FakeLlm;
  let engine: TestEngine;
  let api: Api;
  let apiKey: string;
  let services: Awaited<ReturnType<typeof startEcommerceServices>>;

  beforeAll(async () => {
    llm = await new FakeLlm().start();
    engine = await startTestEngine({ llmApiBaseUrl: llm.url, llmModel: 'test-model', llmApiKey: 'sk-test', llmTimeoutMs: 10_000 });
    ({ api, apiKey } = await newProject(engine.url));
    services = await startEcommerceServices(engine.url, apiKey);
  });
  afterAll(async () => {
    await services.shutdown();
    await engine.dispose();
    await llm.close();
  });

  const refund = { action: { content: 'Refund order ORD1' }, data: [{ field: 'orderId', value: 'ORD1' }] };
  const goodPlan = (ids = services.ids) => ({
    tasks: [
      { id: 'task0', input: { orderId: 'ORD1' } },
      { id: 'task1', service: ids.orders, input: { orderId: '$task0.orderId' } },
      { id: 'task2', service: ids.payments, input: { orderId: '$task0.orderId', amount: '$task1.amount' } },
    ],
    parallel_groups: [['task1'], ['task2']],
  });
  const finished = (id: string) =>
    waitFor(
      async () => {
        const view = (await api.get(`/orchestrations/inspections/${id}`)).body;
        return view.status === 'completed' || view.status === 'failed' ? view : undefined;
      },
      { what: `orchestration ${id} to finish` },
    );

  it('executes a good plan, asking once with the services, action, data and rules', async () => {
    llm.reply(planReply(goodPlan()));
    const res = await api.post('/orchestrations', refund);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ planner: 'llm', taskZero: { orderId: 'ORD1' } });
    expect(res.body.plan.tasks.map((t: { service_name: string }) => t.service_name)).toEqual(['order-lookup', 'payments']);
    const view = await finished(res.body.id);
    expect(view.status).toBe('completed');
    expect(view.results).toEqual([{ refundId: 'R-ORD1', status: 'refunded' }]);

    expect(llm.requests).toHaveLength(1);
    const request = llm.requests[0];
    expect(request).toMatchObject({ model: 'test-model', temperature: 0.1 });
    expect(request?.messages).toHaveLength(1);
    expect(request?.messages[0]?.role).toBe('user');
    const prompt = llm.prompt(0);
    for (const part of [services.ids.orders, 'order-lookup', '"refundId"', 'Refund order ORD1', '[{"field":"orderId","value":"ORD1"}]', '"final"', '```json']) {
      expect(prompt).toContain(part);
    }
  });

  it('retries a plan with a wrong field, feeding the problems back, and runs the second plan', async () => {
    const wrong = goodPlan();
    (wrong.tasks[2] as { input: Record<string, unknown> }).input.amount = '$task1.total';
    llm.reply(planReply(wrong), planReply(goodPlan()));
    const res = await api.post('/orchestrations', refund);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(llm.requests).toHaveLength(2);
    expect(llm.prompt(0)).not.toContain('was rejected');
    expect(llm.prompt(1)).toContain('Your previous answer (attempt 1) was rejected');
    expect(llm.prompt(1)).toContain('task2.input: $task1.total names a field order-lookup does not output');
    expect((await finished(res.body.id)).status).toBe('completed');
  });

  it('answers not actionable when the model returns a final task, and keeps the orchestration', async () => {
    llm.reply(planReply({ tasks: [{ id: 'task0', input: {} }, { id: 'final', input: { error: 'no service can book flights' } }] }));
    const res = await api.post('/orchestrations', { action: { content: 'Book a flight to Oslo' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'Orra:ActionNotActionable' });
    expect(res.body.error.message).toContain('preparation failed with status not_actionable: no service can book flights');
    expect(llm.requests).toHaveLength(1);
    const list = (await api.get('/orchestrations')).body;
    expect(list.notActionable).toEqual([expect.objectContaining({ action: 'Book a flight to Oslo', error: 'no service can book flights' })]);
  });

  it('fails with a clear message after three replies without JSON, and stores nothing', async () => {
    const before = JSON.stringify((await api.get('/orchestrations')).body);
    llm.reply('Sure! I would call the order service.', 'I think the plan is simple.', 'No JSON, sorry.');
    const res = await api.post('/orchestrations', refund);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('Orra:PlanningFailed');
    expect(res.body.error.message).toContain('no valid plan in 3 attempts');
    expect(res.body.error.message).toContain('the reply has no JSON plan');
    expect(llm.requests).toHaveLength(3);
    expect(llm.prompt(2)).toContain('I think the plan is simple.');
    expect(llm.prompt(2)).toContain('- the reply has no JSON plan');
    expect(JSON.stringify((await api.get('/orchestrations')).body)).toBe(before);
  });

  it('answers 502 naming the status when the endpoint fails', async () => {
    llm.reply({ status: 500, body: { error: { message: 'model overloaded' } } });
    const res = await api.post('/orchestrations', refund);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('Orra:PlannerUnavailable');
    expect(res.body.error.message).toContain('answered 500');
    expect(res.body.error.message).not.toContain('sk-test');
  });

  it('puts the matched grounding use case and constraints in the prompt, and asks nothing for an unmatched action', async () => {
    const grounded = await newProject(engine.url, 'grounded');
    const svc = await startEcommerceServices(engine.url, grounded.apiKey);
    try {
      expect((await grounded.api.post('/groundings', ECOMMERCE_GROUNDING)).status).toBe(201);
      llm.reply(planReply(goodPlan(svc.ids)));
      const res = await grounded.api.post('/orchestrations', refund);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const prompt = llm.prompt(0);
      expect(prompt).toContain('The action is an instance of this use case: Process refund for order {orderId}');
      expect(prompt).toContain('Example: Process refund for order ORD1');
      expect(prompt).toContain('- Refund at most the amount paid');

      llm.reply();
      const miss = await grounded.api.post('/orchestrations', { action: { content: 'What is the weather in Paris?' } });
      expect(miss.status).toBe(400);
      expect(miss.body.error.message).toContain('matches no use case');
      expect(llm.requests).toHaveLength(0);
    } finally {
      await svc.shutdown();
    }
  });
});

describe('LLM planner timeouts', () => {
  it('gives up on an endpoint that never answers within ORRA_LLM_TIMEOUT_MS (504)', async () => {
    const llm = await new FakeLlm().start();
    const engine = await startTestEngine({ llmApiBaseUrl: llm.url, llmModel: 'test-model', llmTimeoutMs: 300 });
    try {
      const { api, apiKey } = await newProject(engine.url);
      const services = await startEcommerceServices(engine.url, apiKey);
      llm.reply('hang');
      const startedAt = Date.now();
      const res = await api.post('/orchestrations', { action: { content: 'Refund order ORD1' } });
      const elapsedMs = Date.now() - startedAt;
      await services.shutdown();
      expect(res.status).toBe(504);
      expect(res.body.error.code).toBe('Orra:PlannerTimeout');
      expect(res.body.error.message).toContain('did not finish within 300 ms');
      expect(elapsedMs).toBeLessThan(5_000);
    } finally {
      await engine.dispose();
      await llm.close();
    }
  });
});
