import { newProject, type Api } from './api.js';
import { startService } from './sdk-services.js';
import { startTestEngine, type TestEngine } from './test-engine.js';
import { waitFor } from './wait-for.js';
import { WebhookReceiver } from './webhook-receiver.js';

/**
 * The console's test world: a real engine on SQLite, real SDK services and a real webhook receiver,
 * seeded with a completed, a failed-and-compensated, an aborted orchestration, one whose compensation
 * failed (pending), and an endpoint that fails: its circuit breaker has tripped (`failing`, events held)
 * when the seed returns, and it is probed every second or so (it recovers soon after `receiver` answers
 * 200 again). Used by the audit tests, the browser tests and the
 * screenshot script.
 */
export interface ConsoleSeed {
  engine: TestEngine;
  api: Api;
  apiKey: string;
  readKey: string;
  ids: { completed: string; compensated: string; aborted: string; compensationFailed: string; failedCompensation: string };
  failingEndpoint: string;
  receiver: WebhookReceiver;
  /** Starts an orchestration (payments → inventory → notify); `notify: 'fail'` fails it at the last task. */
  start(orderId: string, options?: { notify?: 'ok' | 'fail' | 'hold' }): Promise<string>;
  /** Lets held notify tasks finish. */
  release(): void;
  /** Lets held payments finish: orders whose id starts with HOLD- wait in payments until this. */
  releasePayments(): void;
  /** Whether undoing a payment fails (by default: for orders whose id starts with BAD). */
  setRefundsFail(isFailing: boolean): void;
  close(): Promise<void>;
}

export async function seedConsole(overrides: Record<string, unknown> = {}): Promise<ConsoleSeed> {
  const engine = await startTestEngine({
    taskMaxAttempts: 1,
    taskBackoffMs: 10,
    compensationMaxAttempts: 1,
    compensationBackoffMs: 10,
    webhookRetrySchedule: '0s,50ms',
    // The breaker's own tests scale its schedules down the same way: a failing endpoint is probed about
    // every second (±20 %), not after 10 s, 30 s, 1 min…, so a test sees it recover within seconds.
    webhookProbeSchedule: '1s',
    // Every browser test signs in afresh from one address; the limit itself has its own test.
    consoleSignInsPerMinute: 1000,
    ...overrides,
  });
  const { api, apiKey } = await newProject(engine.url, 'shop');
  const readKey = (await api.post('/apikeys', { role: 'read', label: 'viewer' })).body.apiKey as string;
  const receiver = await new WebhookReceiver().listen();
  receiver.reply = () => ({ status: 500, body: '{"error":"down for maintenance"}' });
  const endpoint = await api.post('/webhooks', { url: receiver.url });
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  let openPayments: () => void = () => undefined;
  let paymentsGate = new Promise<void>((resolve) => (openPayments = resolve));
  // Undoing a payment for an order whose id starts with BAD fails: a pending failed compensation.
  let revertShouldFail = (orderId: string) => orderId.startsWith('BAD');
  const payments = await startService({
    orraUrl: engine.url,
    apiKey,
    name: 'payments',
    input: { orderId: 'string' },
    output: { chargeId: 'string' },
    revertible: true,
    handler: async (task) => {
      if (String(task.input.orderId).startsWith('HOLD-')) await paymentsGate;
      return { chargeId: `ch_${task.input.orderId}` };
    },
    onRevert: async (task) => {
      if (revertShouldFail(String(task.input.orderId))) throw new Error('refund rejected by the bank');
      return { refunded: true };
    },
  });
  const inventory = await startService({
    orraUrl: engine.url,
    apiKey,
    name: 'inventory',
    input: { chargeId: 'string' },
    output: { reservationId: 'string' },
    revertible: true,
    handler: async (task) => ({ reservationId: `rs_${task.input.chargeId}` }),
    onRevert: async () => ({ released: true }),
  });
  const notify = await startService({
    orraUrl: engine.url,
    apiKey,
    name: 'notify',
    input: { reservationId: 'string', mode: 'string' },
    output: { sent: 'boolean' },
    handler: async (task) => {
      if (task.input.mode === 'hold') await gate;
      if (task.input.mode === 'fail') throw new Error('no courier available');
      return { sent: true };
    },
  });
  const start = async (orderId: string, options: { notify?: 'ok' | 'fail' | 'hold' } = {}) => {
    if (options.notify === 'hold' && !gate) gate = new Promise((resolve) => (open = resolve));
    const res = await api.post('/orchestrations', {
      action: { content: `Charge and ship order ${orderId}` },
      data: [{ field: 'orderId', value: orderId }],
      plan: {
        tasks: [
          { id: 'task0', input: { orderId, mode: options.notify ?? 'ok' } },
          { id: 'task1', service: payments.id, input: { orderId: '$task0.orderId' } },
          { id: 'task2', service: inventory.id, input: { chargeId: '$task1.chargeId' } },
          { id: 'task3', service: notify.id, input: { reservationId: '$task2.reservationId', mode: '$task0.mode' } },
        ],
      },
    });
    if (res.status !== 202) throw new Error(`orchestration not started: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const statusOf = async (id: string) => (await api.get(`/orchestrations/${id}`)).body.status as string;
  const ended = (id: string, status: string) => waitFor(async () => (await statusOf(id)) === status, { timeoutMs: 30_000, what: `${id} ${status}` });

  const completed = await start('ORD-1001');
  // Its event uses up the retry schedule (two attempts, 50 ms apart) before any other event exists, so the
  // endpoint has a failed delivery before its breaker trips: whether one did used to depend on how close
  // together the seed's events came (close enough, and the breaker tripped with every event still held).
  await waitFor(async () => (await api.get(`/webhooks/deliveries?endpoint=${endpoint.body.id}&status=failed`)).body.deliveries?.length > 0, {
    timeoutMs: 30_000,
    what: 'a failed delivery on the failing endpoint',
  });
  const compensated = await start('ORD-1002', { notify: 'fail' });
  const compensationFailed = await start('BAD-1003', { notify: 'fail' });
  const aborted = await start('ORD-1004', { notify: 'hold' });
  await Promise.all([ended(completed, 'completed'), ended(compensated, 'failed'), ended(compensationFailed, 'failed')]);
  await waitFor(async () => (await api.get(`/orchestrations/inspections/${aborted}`)).body.tasks?.some((t: { id: string; status: string }) => t.id === 'task3' && t.status === 'processing'), {
    timeoutMs: 30_000,
    what: 'the held task to run',
  });
  const abort = await api.post(`/orchestrations/${aborted}/abort`, { reason: 'customer cancelled the order' });
  if (abort.status !== 200) throw new Error(`abort failed: ${abort.status} ${JSON.stringify(abort.body)}`);
  open();
  gate = undefined;
  await ended(aborted, 'aborted');
  // Five failed attempts in a row over two events or more trip the breaker (ORRA_WEBHOOK_BREAKER_FAILURES).
  await waitFor(async () => ['failing', 'probing'].includes((await api.get(`/webhooks/${endpoint.body.id}`)).body.state), {
    timeoutMs: 30_000,
    what: 'the failing endpoint to trip its breaker',
  });
  const failedCompensation = await waitFor(
    async () => ((await api.get(`/compensation-failures?orchestration=${compensationFailed}`)).body as { id: string }[] | null)?.[0]?.id,
    { timeoutMs: 30_000, what: 'the failed compensation' },
  );
  return {
    engine,
    api,
    apiKey,
    readKey,
    ids: { completed, compensated, aborted, compensationFailed, failedCompensation },
    failingEndpoint: endpoint.body.id as string,
    receiver,
    start,
    release: () => {
      open();
      gate = undefined;
    },
    releasePayments: () => {
      openPayments();
      paymentsGate = new Promise<void>((resolve) => (openPayments = resolve));
    },
    setRefundsFail: (isFailing) => {
      revertShouldFail = () => isFailing;
    },
    async close() {
      open();
      openPayments();
      revertShouldFail = () => false;
      await Promise.all([payments.shutdown(), inventory.shutdown(), notify.shutdown()]);
      await receiver.close();
      await engine.dispose();
    },
  };
}
