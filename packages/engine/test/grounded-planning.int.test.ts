import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECOMMERCE_GROUNDING, SHIPPING_GROUNDING } from './fixtures/ecommerce-grounding.js';
import { newProject, type Api } from './helpers/api.js';
import { startEcommerceServices, startShippingServices } from './helpers/planning-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

describe('grounded planner', () => {
  let engine: TestEngine;
  let api: Api;
  let services: Awaited<ReturnType<typeof startEcommerceServices>>;

  beforeAll(async () => {
    engine = await startTestEngine();
    let apiKey: string;
    ({ api, apiKey } = await newProject(engine.url));
    services = await startEcommerceServices(engine.url, apiKey);
    expect((await api.post('/groundings', ECOMMERCE_GROUNDING)).status).toBe(201);
  });
  afterAll(async () => {
    await services.shutdown();
    await engine.dispose();
  });

  const orchestrate = (action: string, data?: { field: string; value: unknown }[]) =>
    api.post('/orchestrations', { action: { content: action }, ...(data ? { data } : {}) });

  const finished = (id: string) =>
    waitFor(
      async () => {
        const view = (await api.get(`/orchestrations/inspections/${id}`)).body;
        return view.status === 'completed' || view.status === 'failed' ? view : undefined;
      },
      { what: `orchestration ${id} to finish` },
    );

  /** The plan as (service name, input) pairs, in task order. */
  const steps = (plan: { tasks: { service_name: string; input: unknown }[] }) => plan.tasks.map((t) => [t.service_name, t.input]);

  const refundPlan = [
    ['order-lookup', { orderId: '$task0.orderId' }],
    ['payments', { orderId: '$task0.orderId', amount: '$task1.amount' }],
    ['notifier', { customerId: '$task1.customerId', orderId: '$task0.orderId', refundId: '$task2.refundId' }],
  ];
  const deliveryPlan = [
    ['order-lookup', { orderId: '$task0.orderId' }],
    ['delivery-estimator', { orderId: '$task0.orderId', address: '$task1.address' }],
  ];

  it.each([
    ['Process refund for order ORD1', undefined, 'ORD1', refundPlan, [{ sent: true }]],
    ['Refund order ORD2', undefined, 'ORD2', refundPlan, [{ sent: true }]],
    ['I want my money back for order ORD3, it arrived broken', undefined, 'ORD3', refundPlan, [{ sent: true }]],
    ['When will order ORD4 be delivered?', undefined, 'ORD4', deliveryPlan, [{ eta: '2030-01-01 to 1 Main Street' }]],
    ['Please tell me when my order will arrive', [{ field: 'orderId', value: 'ORD5' }], 'ORD5', deliveryPlan, [{ eta: '2030-01-01 to 1 Main Street' }]],
  ])('plans %j and runs it end to end', async (action, data, orderId, expectedSteps, results) => {
    const res = await orchestrate(action, data);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ planner: 'grounded', taskZero: { orderId } });
    expect(steps(res.body.plan)).toEqual(expectedSteps);
    const view = await finished(res.body.id);
    expect(view.status).toBe('completed');
    expect(view.results).toEqual(results);
    expect(view.plan).toEqual(res.body.plan);
    expect(services.calls.orders).toContainEqual({ orderId });
  });

  it('passes values between the services as wired', () => {
    expect(services.calls.payments).toContainEqual({ orderId: 'ORD1', amount: 42.5 });
    expect(services.calls.notifier).toContainEqual({ customerId: 'C-ORD1', orderId: 'ORD1', refundId: 'R-ORD1' });
  });

  it('makes the same plan for the same request', async () => {
    const a = await orchestrate('Refund order ORD8');
    const b = await orchestrate('Refund order ORD8');
    expect(b.body.plan).toEqual(a.body.plan);
    expect(b.body.taskZero).toEqual(a.body.taskZero);
  });

  it.each([
    ['What is the weather in Paris tomorrow?', undefined, 'the action matches no use case'],
    ['Cancel order ORD9', undefined, 'no registered service provides "Cancel the order before it ships"'],
    ['What is your refund policy?', undefined, 'refused: the action does not say "order"'],
    ['Please refund my order', undefined, 'refused: no value was found for {orderId}'],
    ['Refund order ORD10', [{ field: 'giftWrap', value: true }], 'data field(s) giftWrap are not an input of any service'],
  ])('answers 400 not actionable for %j, saying what is missing, and keeps the orchestration', async (action, data, reason) => {
    const res = await orchestrate(action, data);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('Orra:ActionNotActionable');
    expect(res.body.error.message).toContain('preparation failed with status not_actionable: ');
    expect(res.body.error.message).toContain(reason);
    const id = /orchestration (o_\w+)/.exec(res.body.error.message)?.[1] as string;
    const stored = (await api.get(`/orchestrations/${id}`)).body;
    expect(stored).toMatchObject({ status: 'not_actionable', planner: 'grounded', action: { content: action } });
    expect(stored.error).toContain(reason);
    const list = (await api.get('/orchestrations')).body;
    expect(list.notActionable.map((o: { id: string }) => o.id)).toContain(id);
  });

  it('shows the use case an action matched in the inspection even when no service could serve it', async () => {
    const res = await orchestrate('Cancel order ORD12');
    expect(res.status).toBe(400);
    const id = /orchestration (o_\w+)/.exec(res.body.error.message)?.[1] as string;
    const view = (await api.get(`/orchestrations/inspections/${id}`)).body;
    expect(view).toMatchObject({
      status: 'not_actionable',
      useCase: { grounding: 'ecommerce-support', action: 'Cancel order {orderId}', score: 1 },
    });
  });

  it('still runs an explicit plan as sent, without grounding', async () => {
    const res = await api.post('/orchestrations', {
      action: { content: 'anything at all' },
      plan: { tasks: [{ id: 'task0', input: { orderId: 'ORD11' } }, { id: 'task1', service: services.ids.orders, input: { orderId: '$task0.orderId' } }] },
    });
    expect(res.status).toBe(202);
    expect(res.body.planner).toBe('explicit');
    expect((await finished(res.body.id)).status).toBe('completed');
  });
});

describe('grounded planner, a spec with the one use case "Ship order {orderId}"', () => {
  let engine: TestEngine;
  let api: Api;
  let services: Awaited<ReturnType<typeof startShippingServices>>;
  const SHIP = { grounding: 'shipping', action: 'Ship order {orderId}' };

  beforeAll(async () => {
    engine = await startTestEngine();
    let apiKey: string;
    ({ api, apiKey } = await newProject(engine.url));
    services = await startShippingServices(engine.url, apiKey);
    expect((await api.post('/groundings', SHIPPING_GROUNDING)).status).toBe(201);
  });
  afterAll(async () => {
    await services.shutdown();
    await engine.dispose();
  });

  const closest = (score: number, reason: string) =>
    `preparation failed with status not_actionable: the action matches no use case of the project's grounding specs: ` +
    `closest use case "Ship order {orderId}" of grounding spec shipping (score ${score}) refused: ${reason}`;

  it.each([
    ['Cancel order ORD-8', closest(0.5, 'verb "cancel" does not match "ship"')],
    ['Refund order ORD-10', closest(0.5, 'verb "refund" does not match "ship"')],
    ['Track order ORD-12', closest(0.5, 'verb "track" does not match "ship"')],
    ['Do not ship order ORD-11', closest(1, 'the action is negated ("not")')],
    ["Don't ship order ORD-13", closest(1, `the action is negated ("don't")`)],
    ['Ship order ORD-14 without charging the card', closest(0.833, 'the action is negated ("without")')],
    [
      'Ship orders ORD-15 and ORD-16',
      closest(1, `the action's "ORD-16" fills no {slot} of the use case, and one action runs one use case once`),
    ],
    ['Ship the order', closest(1, 'no value was found for {orderId}: send it as a data field or write it in the action')],
  ])('refuses %j as not actionable, naming the closest use case and why; nothing is planned', async (action, message) => {
    const res = await api.post('/orchestrations', { action: { content: action } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('Orra:ActionNotActionable');
    const id = /\(orchestration (o_\w+)\)$/.exec(res.body.error.message)?.[1] as string;
    expect(res.body.error.message).toBe(`${message} (orchestration ${id})`);
    const view = (await api.get(`/orchestrations/inspections/${id}`)).body;
    expect(view).toMatchObject({ status: 'not_actionable', action });
    expect(view).not.toHaveProperty('tasks');
    expect(view).not.toHaveProperty('useCase');
  });

  it.each([
    ['Ship order ORD-20', 1],
    ['Please dispatch order ORD-21', 1],
    ['Send out order ORD-22', 1],
    ['I need order ORD-23 shipped today', 0.909],
  ])('still plans and runs the paraphrase %j, showing the use case and its score', async (action, score) => {
    const res = await api.post('/orchestrations', { action: { content: action } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.useCase).toEqual({ ...SHIP, score });
    expect(res.body.plan.tasks.map((t: { service_name: string }) => t.service_name)).toEqual(['inventory', 'billing', 'shipping']);
    const view = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.status === 'completed' || v.status === 'failed' ? v : undefined;
      },
      { what: `${action} to finish` },
    );
    expect(view.status).toBe('completed');
    expect(view.useCase).toEqual({ ...SHIP, score });
    const orderId = /ORD-\d+/.exec(action)![0];
    expect(view.results).toEqual([{ trackingId: `T-${orderId}` }]);
  });

  it('held no stock, charged no card and shipped nothing for the refused actions', () => {
    // The paraphrases ran to completion after the refusals were answered: had a refused action been
    // planned, its stock would have been held before theirs.
    const ran = ['ORD-20', 'ORD-21', 'ORD-22', 'ORD-23'];
    expect(services.calls.inventory.map((c) => c.orderId)).toEqual(ran);
    expect(services.calls.billing.map((c) => c.orderId)).toEqual(ran);
    expect(services.calls.shipping.map((c) => c.orderId)).toEqual(ran);
  });
});

describe('planning without a planner', () => {
  it('answers 400 and stores nothing when the project has no grounding spec and no LLM is configured', async () => {
    const engine = await startTestEngine();
    try {
      const { api } = await newProject(engine.url);
      const res = await api.post('/orchestrations', { action: { content: 'Refund order ORD1' } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Orra:ActionCannotExecute');
      expect(res.body.error.message).toContain('apply a grounding spec');
      expect((await api.get('/orchestrations')).body).toEqual({});
    } finally {
      await engine.dispose();
    }
  });
});
