import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, newProject } from './helpers/api.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';

const schema = {
  input: {
    type: 'object',
    properties: { orderId: { type: 'string' }, qty: { type: 'number' } },
    required: ['orderId'],
  },
  output: { type: 'object', properties: { ok: { type: 'boolean' } } },
};

describe('HTTP API', () => {
  let engine: TestEngine;
  let api: Api;
  let serviceId: string;

  beforeAll(async () => {
    engine = await startTestEngine({ bodyLimitBytes: 64 * 1024 });
    ({ api } = await newProject(engine.url));
    const res = await api.post('/register/service', {
      name: 'orders',
      description: 'Looks up orders',
      schema,
    });
    serviceId = res.body.id;
  });
  afterAll(() => engine.dispose());

  const plan = (input: Record<string, unknown>) => ({
    action: { content: 'look up order' },
    plan: {
      tasks: [
        { id: 'task0', input: { orderId: 'O1' } },
        { id: 'task1', service: serviceId, input },
      ],
    },
  });

  async function orchestrationCount(a = api): Promise<number> {
    const list = (await a.get('/orchestrations')).body as Record<string, unknown[]>;
    return Object.values(list).reduce((n, group) => n + group.length, 0);
  }

  it('answers /health without a key', async () => {
    const res = await new Api(engine.url).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
  });

  it('answers an over-long path parameter or a malformed path in its own error format', async () => {
    const long = await api.get(`/orchestrations/o_${'x'.repeat(120)}`);
    expect(long.status).toBe(404);
    expect(long.body).toEqual({
      error: {
        kind: 'item does not exist',
        code: 'Orra:NotFound',
        message: expect.stringContaining('longer than any id'),
      },
    });
    const bad = await api.get('/orchestrations/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('Orra:ValidationFailed');
  });

  it('registers a project with an sk-orra key and a p_ id', async () => {
    const res = await new Api(engine.url).post('/register/project', {
      name: 'p1',
      webhooks: ['http://localhost:1/x'],
    });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^p_[2-9A-HJ-NP-Za-km-z]{22}$/);
    expect(res.body.apiKey).toMatch(/^sk-orra-v1-[0-9a-f]{64}$/);
  });

  it('keeps the webhooks given at registration, answering null for none', async () => {
    const admin = new Api(engine.url);
    const both = await admin.post('/register/project', {
      name: 'hooked',
      webhooks: ['http://localhost:1/events'],
      compensationFailureWebhooks: ['http://localhost:1/failures'],
    });
    expect(both.status).toBe(201);
    expect(both.body).toMatchObject({
      webhooks: ['http://localhost:1/events'],
      compensationFailureWebhooks: ['http://localhost:1/failures'],
    });
    for (const [name, body] of [
      ['none', {}],
      ['null', { webhooks: null, compensationFailureWebhooks: null }],
      ['empty', { webhooks: [], compensationFailureWebhooks: [] }],
    ] as const) {
      const res = await admin.post('/register/project', { name: `hooks ${name}`, ...body });
      expect(res.status, name).toBe(201);
      expect(res.body, name).toMatchObject({
        webhooks: null,
        compensationFailureWebhooks: null,
        additionalAPIKeys: null,
      });
    }
  });

  it('refuses a registration whose body is not an object or whose webhooks are not a list of URLs', async () => {
    const admin = new Api(engine.url);
    for (const raw of ['[]', '"shop"', '42']) {
      const res = await admin.request('POST', '/register/project', undefined, raw);
      expect(res.status, raw).toBe(400);
      expect(res.body.error, raw).toMatchObject({
        code: 'Orra:JSONMarshalingFail',
        message: 'request body must be a JSON object',
      });
    }
    for (const [param, value] of [
      ['webhooks', 'http://localhost:1/x'],
      ['webhooks', ['http://localhost:1/x', 42]],
      ['compensationFailureWebhooks', [{ url: 'http://localhost:1/x' }]],
      ['compensationFailureWebhooks', {}],
    ] as const) {
      const res = await admin.post('/register/project', { name: 'refused hooks', [param]: value });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'Orra:ValidationFailed',
        param,
        message: `${param}: must be an array of URLs`,
      });
    }
    // Nothing was created: the name is still free.
    expect((await admin.post('/register/project', { name: 'refused hooks' })).status).toBe(201);
  });

  it('asks for the admin token when one is set, and always off loopback', async () => {
    const guarded = await startTestEngine({ adminToken: 'the-admin-token-0123' });
    const open = await startTestEngine({ host: '0.0.0.0' });
    try {
      const forbidden = {
        code: 'Orra:Forbidden',
        message:
          'registering projects on this engine requires the admin token (ORRA_ADMIN_TOKEN) as a Bearer token',
      };
      for (const key of [undefined, 'wrong-token', 'the-admin-token-01234']) {
        const res = await new Api(guarded.url, key).post('/register/project', { name: 'guarded' });
        expect(res.status, String(key)).toBe(403);
        expect(res.body.error).toMatchObject(forbidden);
      }
      const allowed = await new Api(guarded.url, 'the-admin-token-0123').post('/register/project', {
        name: 'guarded',
      });
      expect(allowed.status).toBe(201);
      // Listening on every interface without an admin token: nobody may register projects.
      for (const key of [undefined, 'any-token']) {
        const res = await new Api(open.url, key).post('/register/project', { name: 'open' });
        expect(res.status, String(key)).toBe(403);
        expect(res.body.error).toMatchObject(forbidden);
      }
    } finally {
      await Promise.all([guarded.dispose(), open.dispose()]);
    }
  });

  it('registers services with s_ ids and bumps the version on re-registration', async () => {
    const first = await api.post('/register/service', { name: 'orders-two', description: 'x', schema });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      name: 'orders-two',
      status: 'registered',
      revertible: false,
      version: 1,
    });
    expect(first.body.id).toMatch(/^s_[a-z]{28}$/);
    const again = await api.post('/register/service', {
      id: first.body.id,
      name: 'orders-two',
      description: 'y',
      schema,
    });
    expect(again.body).toMatchObject({ id: first.body.id, version: 2 });
  });

  it('rejects a service with an invalid name or schema, naming the field', async () => {
    const bad = await api.post('/register/service', { name: 'Bad Name', description: 'x', schema });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('name');
    const noProps = await api.post('/register/service', {
      name: 'svc-x',
      description: 'x',
      schema: { input: { type: 'object', properties: {} }, output: schema.output },
    });
    expect(noProps.status).toBe(400);
    expect(noProps.body.error.message).toContain('schema.input.properties');
    const unknownId = await api.post('/register/service', {
      id: 's_doesnotexist',
      name: 'svc-x',
      description: 'x',
      schema,
    });
    expect(unknownId.status).toBe(404);
  });

  it('accepts orra’s capitalised action.Content and Go duration strings', async () => {
    const res = await api.post('/orchestrations', {
      action: { Content: 'look up order' },
      data: [{ field: 'orderId', value: 'O9' }],
      timeout: '45s',
      healthCheckGracePeriod: '10m',
      plan: { tasks: [{ id: 'task1', service: serviceId, input: { orderId: '$task0.orderId' } }] },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'pending',
      timeout: '45s',
      healthCheckGracePeriod: '10m0s',
      taskZero: { orderId: 'O9' },
    });
    expect(res.body.id).toMatch(/^o_/);
    const stored = await api.get(`/orchestrations/${res.body.id}`);
    expect(stored.body.id).toBe(res.body.id);
  });

  it('rejects bad input with a 4xx naming the problem, and stores nothing', async () => {
    const before = await orchestrationCount();
    const cases: [number, string, () => Promise<{ status: number; body: any }>][] = [
      [400, 'not valid JSON', () => api.request('POST', '/orchestrations', undefined, '{"action":')],
      [
        400,
        'action.content',
        () => api.post('/orchestrations', { plan: plan({ orderId: '$task0.orderId' }).plan }),
      ],
      [
        400,
        'unknown service',
        () =>
          api.post('/orchestrations', {
            ...plan({}),
            plan: { tasks: [{ id: 'task1', service: 's_nope', input: {} }] },
          }),
      ],
      [400, 'task1.input.orderId: required', () => api.post('/orchestrations', plan({ qty: 1 }))],
      [
        400,
        'task1.input.colour: not an input',
        () => api.post('/orchestrations', plan({ orderId: 'x', colour: 'red' })),
      ],
      [
        400,
        'must reference an earlier task',
        () =>
          api.post('/orchestrations', {
            action: { content: 'x' },
            plan: {
              tasks: [
                { id: 'task1', service: serviceId, input: { orderId: '$task2.ok' } },
                { id: 'task2', service: serviceId, input: { orderId: 'x' } },
              ],
            },
          }),
      ],
      [400, 'task0 does not have', () => api.post('/orchestrations', plan({ orderId: '$task0.missing' }))],
      [
        400,
        '"30 parsecs" is not a duration',
        () => api.post('/orchestrations', { ...plan({ orderId: 'x' }), timeout: '30 parsecs' }),
      ],
      [400, 'no plan given', () => api.post('/orchestrations', { action: { content: 'x' } })],
      [
        413,
        'larger than the limit',
        () => api.post('/orchestrations', { ...plan({ orderId: 'x'.repeat(100_000) }) }),
      ],
    ];
    for (const [status, text, call] of cases) {
      const res = await call();
      expect(res.status, text).toBe(status);
      expect(res.body.error.message, text).toContain(text);
      expect(res.body.error.code, text).toMatch(/^Orra:/);
    }
    expect(await orchestrationCount()).toBe(before);
  });

  it('names every problem of a plan in one 400', async () => {
    const res = await api.post('/orchestrations', plan({ qty: '$task0.nope', colour: 1 }));
    expect(res.status).toBe(400);
    for (const part of ['task1.input.colour', 'task1.input.orderId', '$task0.nope'])
      expect(res.body.error.message).toContain(part);
  });

  it('answers 401 for a missing, malformed or unknown key', async () => {
    const missing = 'missing API key: send "Authorization: Bearer sk-orra-…"';
    const cases: [Record<string, string>, string][] = [
      [{}, missing],
      [{ authorization: 'Basic abc' }, missing],
      [{ authorization: `Token bearer ${api.apiKey}` }, missing],
      [{ authorization: `xBearer ${api.apiKey}` }, missing],
      [{ authorization: `Bearer ${api.apiKey} extra` }, missing],
      [{ authorization: 'Bearer sk-orra-v1-unknown' }, 'unknown API key'],
    ];
    for (const [headers, message] of cases) {
      const res = await fetch(`${engine.url}/orchestrations`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error).toMatchObject({
        code: 'Orra:Unauthenticated',
        message,
      });
    }
  });

  it('takes the Bearer scheme in any case, as RFC 9110 says', async () => {
    for (const [scheme, after] of [
      ['bearer', ''],
      ['BEARER', ''],
      ['bEaReR', ''],
      ['Bearer ', ''],
      ['Bearer', '   '],
    ]) {
      const res = await fetch(`${engine.url}/orchestrations`, {
        headers: { authorization: `${scheme} ${api.apiKey}${after}` },
      });
      expect(res.status, `scheme "${scheme}"`).toBe(200);
    }
  });

  it('answers 404 for an unknown orchestration id and for another project’s id', async () => {
    const mine = await api.post('/orchestrations', plan({ orderId: '$task0.orderId' }));
    const other = await newProject(engine.url, 'other');
    for (const path of [`/orchestrations/${mine.body.id}`, `/orchestrations/inspections/${mine.body.id}`]) {
      const res = await other.api.get(path);
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain('unknown orchestration');
    }
    expect((await api.get('/orchestrations/inspections/o_unknown')).status).toBe(404);
    expect(await orchestrationCount(other.api)).toBe(0);
  });

  it('adds API keys that authenticate for the same project', async () => {
    const res = await api.post('/apikeys');
    expect(res.status).toBe(201);
    expect(res.body.apiKey).toMatch(/^sk-orra-v1-/);
    const second = api.withKey(res.body.apiKey);
    expect((await second.get('/orchestrations')).status).toBe(200);
    expect(await orchestrationCount(second)).toBe(await orchestrationCount());
  });

  it('refuses a WebSocket for an unknown key or another project’s service; takes the key from the query or a bearer header', async () => {
    const { WebSocket } = await import('ws');
    const other = await newProject(engine.url, 'ws-other');
    const tryOpen = (query: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${engine.url.replace('http', 'ws')}/ws?${query}`, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => undefined);
      });
    expect(await tryOpen(`serviceId=${serviceId}&apiKey=sk-orra-v1-nope`)).toBe(401);
    expect(await tryOpen(`serviceId=${serviceId}&apiKey=${other.apiKey}`)).toBe(403);
    expect(await tryOpen(`serviceId=${serviceId}&apiKey=${api.apiKey}`)).toBe(101);
    // A client that can set headers may send the key as a bearer token, the scheme in any case.
    expect(await tryOpen(`serviceId=${serviceId}`, { authorization: `bearer ${api.apiKey}` })).toBe(101);
    expect(await tryOpen(`serviceId=${serviceId}`, { authorization: `Basic ${api.apiKey}` })).toBe(401);
    expect(await tryOpen(`serviceId=${serviceId}`, { authorization: `Bearer ${other.apiKey}` })).toBe(403);
  });
});
