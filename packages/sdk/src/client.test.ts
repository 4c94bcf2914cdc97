import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrraClient } from './client.js';
import { OrraApiError, OrraConnectionError } from './errors.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
const seen: { method: string; url: string; authorization?: string; body: string }[] = [];
const keys: (string | undefined)[] = [];

beforeEach(async () => {
  seen.length = 0;
  keys.length = 0;
  server = createServer((req, res) => {
    keys.push(req.headers['idempotency-key'] as string | undefined);
    let body = '';
    req.on('data', (c: Buffer) => (body += String(c)));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body,
      });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const json =
  (status: number, body: unknown): Handler =>
  (_req, _body, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

describe('OrraClient', () => {
  describe('createOrchestration', () => {
    const body = { action: { content: 'Charge order ORD1' } };

    it('sends a new random Idempotency-Key with each submission, or the one given', async () => {
      handler = json(202, { id: 'o_1' });
      const client = new OrraClient({ baseUrl, apiKey: 'k' });
      await client.createOrchestration(body);
      await client.createOrchestration(body);
      await client.createOrchestration(body, { idempotencyKey: 'order-ORD1' });
      expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(keys[1]).toMatch(/^[0-9a-f-]{36}$/);
      expect(keys[1]).not.toBe(keys[0]);
      expect(keys[2]).toBe('order-ORD1');
    });

    it('sends a submission whose connection broke again, with the same key', async () => {
      let calls = 0;
      handler = (req, _body, res) => {
        // The first request is cut before any answer, as by a crash between commit and reply.
        if (++calls === 1) req.socket.destroy();
        else json(202, { id: 'o_1' })(req, _body, res);
      };
      const client = new OrraClient({ baseUrl, apiKey: 'k', submitRetryDelaysMs: [10] });
      expect(await client.createOrchestration(body)).toEqual({ id: 'o_1' });
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
    });

    it('retries a 503 (engine starting), and gives up after the last delay', async () => {
      handler = json(503, { error: { code: 'Orra:PlanEngineStarting', message: 'starting' } });
      const client = new OrraClient({ baseUrl, apiKey: 'k', submitRetryDelaysMs: [5, 5] });
      await expect(client.createOrchestration(body)).rejects.toMatchObject({ status: 503 });
      expect(keys).toHaveLength(3);
      expect(new Set(keys).size).toBe(1);
    });

    it('does not retry an answer such as 409 or 400', async () => {
      handler = json(409, { error: { code: 'Orra:IdempotencyKeyReused', message: 'reused' } });
      const client = new OrraClient({ baseUrl, apiKey: 'k', submitRetryDelaysMs: [5, 5] });
      await expect(client.createOrchestration(body)).rejects.toBeInstanceOf(OrraApiError);
      expect(keys).toHaveLength(1);
    });
  });

  it('sends the bearer key and the JSON body, and parses the JSON answer', async () => {
    handler = json(202, { id: 'o_1', status: 'pending' });
    const client = new OrraClient({ baseUrl: `${baseUrl}/`, apiKey: 'sk-orra-v1-k' });
    const out = await client.createOrchestration({
      action: { content: 'Echo hi' },
      data: [{ field: 'm', value: 'hi' }],
    });
    expect(out).toEqual({ id: 'o_1', status: 'pending' });
    expect(seen[0]).toEqual({
      method: 'POST',
      url: '/orchestrations',
      authorization: 'Bearer sk-orra-v1-k',
      body: '{"action":{"content":"Echo hi"},"data":[{"field":"m","value":"hi"}]}',
    });
  });

  it('encodes ids in paths and returns undefined for an empty body', async () => {
    handler = (_req, _body, res) => res.writeHead(204).end();
    const client = new OrraClient({ baseUrl, apiKey: 'k' });
    expect(await client.inspectOrchestration('o_1/../x')).toBeUndefined();
    expect(seen[0]?.url).toBe('/orchestrations/inspections/o_1%2F..%2Fx');
  });

  it('throws OrraApiError with the fields of the error body', async () => {
    handler = json(404, {
      error: {
        kind: 'item does not exist',
        code: 'Orra:UnknownOrchestration',
        param: 'id',
        message: 'unknown orchestration: o_9',
      },
    });
    const err = await new OrraClient({ baseUrl, apiKey: 'k' })
      .getOrchestration('o_9')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrraApiError);
    expect(err).toMatchObject({
      status: 404,
      kind: 'item does not exist',
      code: 'Orra:UnknownOrchestration',
      param: 'id',
      message: 'unknown orchestration: o_9',
    });
  });

  it('describes a non-2xx answer without an error body by its status', async () => {
    handler = (_req, _body, res) => res.writeHead(403).end();
    await expect(new OrraClient({ baseUrl }).listOrchestrations()).rejects.toMatchObject({
      status: 403,
      message: 'HTTP 403 Forbidden',
    });
  });

  it('throws OrraConnectionError naming the URL when the engine cannot be reached', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((r) => dead.close(r));
    const err = await new OrraClient({ baseUrl: deadUrl }).health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrraConnectionError);
    expect((err as Error).message).toContain(`${deadUrl}/health`);
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect((err as OrraConnectionError).reason).toBe('ECONNREFUSED');
  });

  it('times out a request that gets no answer', async () => {
    handler = () => {}; // never answers
    const err = await new OrraClient({ baseUrl, timeoutMs: 50 }).health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrraConnectionError);
    expect((err as Error).message).toMatch(/timed out after 50 ms/);
    expect((err as OrraConnectionError).reason).toBe('timed out');
  });

  it('registers services through the generic request path', async () => {
    handler = json(200, { id: 's_a', name: 'svc', status: 'registered', revertible: false, version: 1 });
    const client = new OrraClient({ baseUrl, apiKey: 'k' });
    const body = {
      id: null,
      name: 'svc',
      description: 'd',
      schema: { input: { type: 'object' as const }, output: { type: 'object' as const } },
    };
    expect((await client.registerService('agent', body)).id).toBe('s_a');
    expect(seen[0]?.url).toBe('/register/agent');
    await client.registerProject({ name: 'p' }, { bearer: 'admin-token' });
    expect(seen[1]).toMatchObject({ url: '/register/project', authorization: 'Bearer admin-token' });
  });
  it("reads the engine version from /health's X-Orra-PlaneEngine-Version header", async () => {
    handler = (_req, _body, res) => res.writeHead(200, { 'X-Orra-PlaneEngine-Version': '0.2.5' }).end('{}');
    expect(await new OrraClient({ baseUrl }).serverVersion()).toBe('0.2.5');
    handler = json(200, {});
    expect(await new OrraClient({ baseUrl }).serverVersion()).toBeNull();
  });

  it('sends list filters as a query string and turns a null list into []', async () => {
    handler = json(200, null);
    const client = new OrraClient({ baseUrl, apiKey: 'k' });
    expect(
      await client.listFailedCompensations({ resolution: 'pending', service: 'pay ments', limit: 21 }),
    ).toEqual([]);
    expect(await client.listFailedCompensations()).toEqual([]);
    expect(await client.listGroundings()).toEqual([]);
    handler = json(200, { deliveries: [], nextCursor: null });
    await client.listWebhookDeliveries({ status: 'failed', type: 'compensation.failed', cursor: '' });
    await client.listWebhookDeliveries({ orchestration: 'o_1', limit: 5 });
    expect(seen.map((r) => r.url)).toEqual([
      '/compensation-failures?resolution=pending&service=pay+ments&limit=21',
      '/compensation-failures',
      '/groundings',
      '/webhooks/deliveries?status=failed&type=compensation.failed',
      '/webhooks/deliveries?limit=5&orchestration_id=o_1',
    ]);
  });

  it('calls the operator routes with their bodies', async () => {
    handler = json(200, {});
    const client = new OrraClient({ baseUrl, apiKey: 'k' });
    await client.abortOrchestration('o_1', 'customer cancelled');
    await client.disposeFailedCompensation('c_1', 'ignore', 'test order');
    await client.addWebhook('compensation_failure', 'http://h/x');
    await client.redeliverWebhookEvent('o_1-failed-1', 'wh_1');
    handler = (_req, _body, res) => res.writeHead(204).end();
    await client.deleteWebhook('wh/1');
    await client.removeGrounding();
    expect(seen.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'POST /orchestrations/o_1/abort {"reason":"customer cancelled"}',
      'POST /compensation-failures/c_1/ignore {"reason":"test order"}',
      'POST /compensation-failure-webhooks {"url":"http://h/x"}',
      'POST /webhooks/events/o_1-failed-1/redeliver {"endpoint":"wh_1"}',
      'DELETE /webhooks/wh%2F1 ',
      'DELETE /groundings ',
    ]);
  });
});
