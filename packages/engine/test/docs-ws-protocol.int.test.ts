import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { parseDocJson, shapeMismatches } from './helpers/doc-json.js';
import { MarkdownDoc, markdownTables } from './helpers/markdown-doc.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * docs/ws-protocol.md against a real engine over real WebSockets: a service written from the document
 * alone (its connection URL, the messages it expects and the ones it sends, each built from the
 * document's examples) runs tasks, a retry, a compensation and an abort; every message the engine
 * sends must have the documented shape and field names, and every message built from the document
 * must have the documented effect.
 */
const doc = MarkdownDoc.read('docs/ws-protocol.md');

/** The JSON objects of a block that shows several, one after the other. */
function jsonObjects(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let isInString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (isInString) {
      if (c === '\\') i++;
      else if (c === '"') isInString = false;
    } else if (c === '"') isInString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(text.slice(start, i + 1));
  }
  return out;
}

const engineToService = new Map(
  jsonObjects(doc.section('Engine → service', 2).blocks[0]!.text).map((text) => {
    const example = parseDocJson(text) as { type: string };
    return [example.type, example] as const;
  }),
);
const serviceToEngine = parseDocJson(doc.section('Service → engine', 2).blocks[0]!.text) as {
  id: string;
  payload: Record<string, any>;
};
const payloadTypes = markdownTables(doc.section('Service → engine', 2).body)[0]!.rows.map(([t]) =>
  t!.replace(/`/g, ''),
);

/**
 * Where the document abbreviates a value as `prefix…` (`e_comp_…`, `s_…`), the real value starts with
 * that prefix; `<64 hex>` is 64 hex digits. (`shapeMismatches` checks only that they are strings.)
 */
function prefixMismatches(example: unknown, actual: unknown, path = ''): string[] {
  if (typeof example === 'string') {
    if (example === '<64 hex>')
      return /^[0-9a-f]{64}$/.test(String(actual)) ? [] : [`${path}: not 64 hex digits: ${String(actual)}`];
    const prefix = /^([a-z]+_(?:[a-z]+_)?)…$/.exec(example)?.[1];
    return prefix && !String(actual).startsWith(prefix)
      ? [`${path}: ${String(actual)} is not ${example}`]
      : [];
  }
  if (example === null || typeof example !== 'object') return [];
  return Object.entries(example).flatMap(([k, v]) =>
    prefixMismatches(v, (actual as Record<string, unknown> | undefined)?.[k], `${path}.${k}`),
  );
}

/** The documented example of a message type against a real message: same fields, same shapes. */
function expectDocumented(type: string, actual: unknown, varying: string[] = []): void {
  const example = engineToService.get(type);
  expect(example, `an example of ${type} in the document`).toBeDefined();
  expect(
    [...shapeMismatches(example, actual, { varying }), ...prefixMismatches(example, actual)],
    type,
  ).toEqual([]);
  // And nothing the example does not show, at the top level.
  expect(Object.keys(actual as object).sort(), type).toEqual(Object.keys(example!).sort());
}

/** A service socket written from the document: connects with its URL, records what the engine sends. */
class DocService {
  readonly received: any[] = [];
  protocolPings = 0;
  private ws!: WebSocket;
  private n = 0;

  constructor(
    readonly engineUrl: string,
    readonly serviceId: string,
    readonly apiKey: string,
  ) {}

  async connect(): Promise<this> {
    const template = /`(ws:\/\/<engine>\/ws\?[^`]+)`/.exec(doc.text)![1]!;
    const url = template
      .replace('<engine>', new URL(this.engineUrl).host)
      .replace('<s_…>', this.serviceId)
      .replace('<sk-orra-…>', this.apiKey);
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => this.received.push(JSON.parse(String(data))));
    this.ws.on('ping', () => (this.protocolPings += 1));
    await new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    return this;
  }

  /** The next message (after those already taken) that `match` accepts. */
  async next(match: (m: any) => boolean, what: string): Promise<any> {
    const m = await waitFor(() => this.received.find(match), { what });
    this.received.splice(this.received.indexOf(m), 1);
    return m;
  }

  /** Sends `payload` in the documented wrapper, with an id in the documented form; returns the id. */
  sendWrapped(
    payload: Record<string, unknown>,
    id = `message_${++this.n}_${String(payload.executionId)}`,
  ): string {
    this.ws.send(JSON.stringify({ id, payload }));
    return id;
  }

  sendBare(payload: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(payload));
  }

  ackFor(id: string): Promise<any> {
    return this.next((m) => m.type === 'ACK' && m.id === id, `the ACK of ${id}`);
  }

  close(): void {
    this.ws.close();
  }
}

/** The documented `task_result` of a task request, built from the document's example. */
function documentedResult(request: any, output: unknown, compensationData: unknown) {
  const payload = structuredClone(serviceToEngine.payload);
  expect(Object.keys(payload).sort()).toEqual(
    ['type', 'taskId', 'executionId', 'serviceId', 'idempotencyKey', 'result'].sort(),
  );
  Object.assign(payload, {
    taskId: request.id,
    executionId: request.executionId,
    serviceId: request.serviceId,
    idempotencyKey: request.idempotencyKey,
  });
  payload.result.task = output;
  payload.result.compensation.data = compensationData;
  return payload;
}

describe('docs/ws-protocol.md against a real engine over real WebSockets', () => {
  let engine: TestEngine;
  let api: Api;
  let apiKey = '';
  let payments: DocService;
  let shipping: DocService;

  const register = async (
    name: string,
    input: Record<string, string>,
    output: Record<string, string>,
    revertible = false,
  ) => {
    const props = (p: Record<string, string>) =>
      Object.fromEntries(Object.entries(p).map(([k, type]) => [k, { type }]));
    const res = await api.post('/register/service', {
      name,
      description: `${name} for the protocol doc test`,
      schema: {
        input: { type: 'object', properties: props(input) },
        output: { type: 'object', properties: props(output) },
      },
      ...(revertible ? { revertible: true } : {}),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.id as string;
  };
  const orchestrate = async (tasks: unknown[]) => {
    const res = await api.post('/orchestrations', {
      action: { content: 'Charge and ship order ORD1' },
      plan: { tasks: [{ id: 'task0', input: { orderId: 'ORD1' } }, ...tasks] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id as string;
  };
  const inspect = async (id: string) => (await api.get(`/orchestrations/inspections/${id}`)).body;

  beforeAll(async () => {
    engine = await startTestEngine({
      taskMaxAttempts: 2,
      taskBackoffMs: 10,
      compensationBackoffMs: 10,
      wsPingIntervalMs: 100,
      wsAppPingIntervalMs: 100,
    });
    let projectApi: Api;
    ({ api: projectApi, apiKey } = await newProject(engine.url, 'ws-doc'));
    api = projectApi;
    const paymentsId = await register('payments', { orderId: 'string' }, { chargeId: 'string' }, true);
    const shippingId = await register('shipping', { chargeId: 'string' }, { trackingId: 'string' });
    payments = await new DocService(engine.url, paymentsId, apiKey).connect();
    shipping = await new DocService(engine.url, shippingId, apiKey).connect();
  });
  afterAll(async () => {
    payments?.close();
    shipping?.close();
    await engine.dispose();
  });

  it('the document shows one example per engine message and one per service payload type', () => {
    expect([...engineToService.keys()].sort()).toEqual([
      'ACK',
      'compensation_request',
      'ping',
      'task_request',
    ]);
    expect(payloadTypes).toEqual([
      'task_result',
      'task_interim_result',
      'task_abort_result',
      'task_status',
      'pong',
    ]);
    expect(serviceToEngine.payload.type).toBe('task_result');
  });

  it('a task, its retry and the compensation after a failure, message by message', async () => {
    const id = await orchestrate([
      { id: 'task1', service: payments.serviceId, input: { orderId: '$task0.orderId' } },
      { id: 'task2', service: shipping.serviceId, input: { chargeId: '$task1.chargeId' } },
    ]);

    // task_request as documented.
    const request = await payments.next((m) => m.type === 'task_request', 'a task request');
    expectDocumented('task_request', request);
    expect(request).toMatchObject({ id: 'task1', input: { orderId: 'ORD1' }, serviceId: payments.serviceId });

    // The documented task_result, wrapped as documented, is ACKed with its wrapper id.
    const output = { chargeId: 'ch_1' };
    const compensationData = { originalTask: request, taskResult: output };
    const wrapperId = payments.sendWrapped(
      documentedResult(request, output, compensationData),
      `message_3_${request.executionId}`,
    );
    expect(wrapperId).toMatch(new RegExp(`^${serviceToEngine.id.replace('…', '')}`));
    const ack = await payments.ackFor(wrapperId);
    expectDocumented('ACK', ack);
    expect(ack).toEqual({ type: 'ACK', id: wrapperId });
    // "once the engine has durably recorded its effect": the output is stored when the ACK arrives.
    expect((await inspect(id)).tasks[0]).toMatchObject({ status: 'completed', output });

    // The next task fails once, is sent again with the same idempotency key and a new execution id.
    const first = await shipping.next((m) => m.type === 'task_request', 'task2');
    expect(first).toMatchObject({ id: 'task2', input: { chargeId: 'ch_1' } });
    expectDocumented('task_request', { ...first, input: { orderId: 'ORD1' } }, ['id']);
    const base = (m: any) => ({
      taskId: m.id,
      executionId: m.executionId,
      serviceId: m.serviceId,
      idempotencyKey: m.idempotencyKey,
    });
    await shipping.ackFor(
      shipping.sendWrapped({ type: 'task_result', ...base(first), error: 'courier busy' }),
    );
    const again = await shipping.next((m) => m.type === 'task_request', 'task2 again');
    expect(again.idempotencyKey).toBe(first.idempotencyKey);
    expect(again.executionId).not.toBe(first.executionId);

    // task_interim_result appears in the inspect view; task_status is ACKed and changes nothing.
    await shipping.ackFor(
      shipping.sendWrapped({
        type: 'task_interim_result',
        ...base(again),
        result: { task: { progress: 50 } },
      }),
    );
    const interim = await inspect(id);
    expect(JSON.stringify(interim.tasks[1])).toContain('"progress":50');
    await shipping.ackFor(
      shipping.sendWrapped({
        type: 'task_status',
        ...base(again),
        status: 'in_progress',
        timestamp: new Date().toISOString(),
      }),
    );
    expect((await inspect(id)).tasks[1].status).toBe(interim.tasks[1].status);

    // The second failure fails the orchestration; the completed revertible task gets the documented
    // compensation_request, with the compensation data as its input.
    await shipping.ackFor(
      shipping.sendWrapped({ type: 'task_result', ...base(again), error: 'no courier available' }),
    );
    const undo = await payments.next((m) => m.type === 'compensation_request', 'a compensation request');
    expectDocumented('compensation_request', undo);
    expect(undo).toMatchObject({
      id: 'task1',
      input: compensationData,
      compensationContext: { orchestrationId: id, reason: 'failed' },
    });
    expect(undo.idempotencyKey).not.toBe(request.idempotencyKey);
    // "For compensations, result.status is completed …"
    await payments.ackFor(
      payments.sendWrapped({ type: 'task_result', ...base(undo), result: { status: 'completed' } }),
    );
    await waitFor(async () => (await inspect(id)).tasks[0].compensation?.status === 'completed', {
      what: 'the compensation to complete',
    });
    expect((await inspect(id)).status).toBe('failed');
  });

  it('partial compensations carry partial.completed/remaining', async () => {
    const id = await orchestrate([
      { id: 'task1', service: payments.serviceId, input: { orderId: '$task0.orderId' } },
      { id: 'task2', service: shipping.serviceId, input: { chargeId: '$task1.chargeId' } },
    ]);
    const request = await payments.next((m) => m.type === 'task_request', 'a task request');
    const output = { chargeId: 'ch_2' };
    payments.sendWrapped(documentedResult(request, output, { originalTask: request, taskResult: output }));
    for (let i = 0; i < 2; i++) {
      const m = await shipping.next((x) => x.type === 'task_request', 'task2');
      shipping.sendWrapped({
        type: 'task_result',
        taskId: m.id,
        executionId: m.executionId,
        serviceId: m.serviceId,
        idempotencyKey: m.idempotencyKey,
        error: 'no courier',
      });
    }
    const undo = await payments.next((m) => m.type === 'compensation_request', 'a compensation request');
    payments.sendWrapped({
      type: 'task_result',
      taskId: undo.id,
      executionId: undo.executionId,
      serviceId: undo.serviceId,
      idempotencyKey: undo.idempotencyKey,
      result: { status: 'partial', partial: { completed: ['item1'], remaining: ['item2'] } },
    });
    await waitFor(async () => (await inspect(id)).tasks[0].compensation?.status === 'partial', {
      what: 'a partial compensation',
    });
  });

  it('task_abort_result ends the orchestration aborted with the payload, and compensation runs', async () => {
    const id = await orchestrate([
      { id: 'task1', service: payments.serviceId, input: { orderId: '$task0.orderId' } },
      { id: 'task2', service: shipping.serviceId, input: { chargeId: '$task1.chargeId' } },
    ]);
    const request = await payments.next((m) => m.type === 'task_request', 'a task request');
    const output = { chargeId: 'ch_3' };
    await payments.ackFor(
      payments.sendWrapped(documentedResult(request, output, { originalTask: request, taskResult: output })),
    );
    const m = await shipping.next((x) => x.type === 'task_request', 'task2');
    await shipping.ackFor(
      shipping.sendWrapped({
        type: 'task_abort_result',
        taskId: m.id,
        executionId: m.executionId,
        serviceId: m.serviceId,
        idempotencyKey: m.idempotencyKey,
        result: { task: { reason: 'fraud' } },
      }),
    );
    const undo = await payments.next((x) => x.type === 'compensation_request', 'a compensation request');
    expectDocumented('compensation_request', undo, ['compensationContext.reason']);
    expect(undo.compensationContext).toMatchObject({
      orchestrationId: id,
      reason: 'aborted',
      payload: { reason: 'fraud' },
    });
    const view = (await api.get(`/orchestrations/${id}`)).body;
    expect(view).toMatchObject({ status: 'aborted', abortReason: { reason: 'fraud' } });
    payments.sendWrapped({
      type: 'task_result',
      taskId: undo.id,
      executionId: undo.executionId,
      serviceId: undo.serviceId,
      idempotencyKey: undo.idempotencyKey,
      result: { status: 'completed' },
    });
  });

  it('ping is answered with a pong in a wrapper with id "pong", which is not ACKed; protocol pings arrive too', async () => {
    const ping = await payments.next((m) => m.type === 'ping', 'an application ping');
    expectDocumented('ping', ping);
    expect(ping.serviceId).toBe(payments.serviceId);
    payments.sendWrapped({ type: 'pong', serviceId: payments.serviceId }, 'pong');
    await new Promise((r) => setTimeout(r, 300));
    expect(payments.received.filter((m) => m.type === 'ACK' && m.id === 'pong')).toEqual([]);
    expect(payments.protocolPings).toBeGreaterThan(0);
  });

  it('an unwrapped payload is accepted, without an ACK', async () => {
    const id = await orchestrate([
      { id: 'task1', service: payments.serviceId, input: { orderId: '$task0.orderId' } },
    ]);
    const request = await payments.next((m) => m.type === 'task_request', 'a task request');
    const output = { chargeId: 'ch_4' };
    payments.received.length = 0; // earlier ACKs
    payments.sendBare(documentedResult(request, output, { originalTask: request, taskResult: output }));
    await waitFor(async () => (await inspect(id)).status === 'completed', {
      what: 'the orchestration to complete',
    });
    expect(payments.received.filter((m) => m.type === 'ACK')).toEqual([]);
  });

  it('refuses an unknown key with 401, a service of no project of the key with 403, another path with 404, each with the documented error body', async () => {
    const example = JSON.parse(doc.section('Connecting', 2).blocks[0]!.text) as { error: Record<string, string> };
    const refusal = (path: string) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const ws = new WebSocket(`${engine.url.replace('http', 'ws')}${path}`);
        ws.on('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode!, body: JSON.parse(text) });
            ws.terminate();
          });
        });
        ws.on('open', () => reject(new Error(`${path} was accepted`)));
        ws.on('error', () => undefined);
      });
    const unknownKey = await refusal(`/ws?serviceId=${payments.serviceId}&apiKey=sk-orra-v1-nosuchkey`);
    expect(unknownKey).toEqual({ status: 401, body: example });
    const otherProject = await newProject(engine.url, 'ws-doc-other');
    const notInProject = await refusal(`/ws?serviceId=${payments.serviceId}&apiKey=${otherProject.apiKey}`);
    expect(notInProject.status).toBe(403);
    expect(Object.keys(notInProject.body.error).sort()).toEqual(Object.keys(example.error).sort());
    expect(notInProject.body.error).toMatchObject({ code: 'Orra:UnknownService', message: expect.stringMatching(/is not registered in the API key's project/) });
    const otherPath = await refusal(`/socket?serviceId=${payments.serviceId}&apiKey=${apiKey}`);
    expect(otherPath.status).toBe(404);
    expect(otherPath.body.error.message).toMatch(/services connect to \/ws/);
  });
});
