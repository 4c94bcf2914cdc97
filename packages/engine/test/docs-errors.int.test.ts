import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECOMMERCE_GROUNDING, ECOMMERCE_SERVICES, schemaOf } from './fixtures/ecommerce-grounding.js';
import { Api, newProject, type ApiResponse } from './helpers/api.js';
import { parseDocJson } from './helpers/doc-json.js';
import { freePort } from './helpers/engine-process.js';
import { FakeLlm } from './helpers/fake-llm.js';
import { startHeld } from './helpers/held-start.js';
import { upgradeStatus } from './helpers/upgrade-status.js';
import { MarkdownDoc, markdownTables } from './helpers/markdown-doc.js';
import { dropSchema, isPostgresReachable, schemaForDataDir } from './helpers/test-database.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * docs/errors.md against real engines: the example body is the engine's answer to the same mistake,
 * and every code of the table is produced for real, with the documented HTTP status and the documented
 * body rules (`requestId` on 5xx only, a 500 hides its message, a 502/504 keeps it).
 */
const doc = MarkdownDoc.read('docs/errors.md');
const ADMIN_TOKEN = 'an-admin-token-for-the-docs-test';
const BODY_LIMIT = 4096;

/** Codes of the table that no request can produce, with the reason (the table says so too). */
const NOT_SENT: Record<string, string> = {
  'Orra:PlanEngineShuttingDown': 'a stopping engine refuses new connections rather than answering',
};

/** Codes whose situation only a PostgreSQL-backed engine can be held in (see helpers/held-start.ts). */
const NEEDS_POSTGRES = new Set(['Orra:PlanEngineStarting']);
const isPostgresUp = await isPostgresReachable();

async function answer(res: Response): Promise<ApiResponse> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

describe('docs/errors.md against real engines', () => {
  /** Grounded planning, a small body limit. */
  let engine: TestEngine;
  /** An LLM planner on a local fake, and an admin token. */
  let llmEngine: TestEngine;
  let llm: FakeLlm;
  let api: Api;
  let other: Api;
  let llmApi: Api;
  let serviceId = '';
  let otherServiceId = '';
  const produced = new Map<string, ApiResponse>();

  beforeAll(async () => {
    llm = await new FakeLlm().start();
    [engine, llmEngine] = await Promise.all([
      startTestEngine({ bodyLimitBytes: BODY_LIMIT }),
      startTestEngine({
        adminToken: ADMIN_TOKEN,
        llmApiBaseUrl: llm.url,
        llmModel: 'test-model',
        llmTimeoutMs: 1_500,
      }),
    ]);
    ({ api } = await newProject(engine.url, 'errors'));
    ({ api: other } = await newProject(engine.url, 'someone-else'));
    const registered = await fetch(`${llmEngine.url}/register/project`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ name: 'llm' }),
    });
    llmApi = new Api(llmEngine.url, ((await registered.json()) as { apiKey: string }).apiKey);
    // The service the example's plan names: `orders`, whose input requires `orderId`.
    const service = {
      name: 'orders',
      description: 'Looks up orders',
      schema: {
        input: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] },
        output: { type: 'object', properties: { status: { type: 'string' } } },
      },
    };
    serviceId = (await api.post('/register/service', service)).body.id;
    otherServiceId = (await other.post('/register/service', service)).body.id;
    await llmApi.post('/register/service', service);
  });
  afterAll(async () => {
    await Promise.all([engine.dispose(), llmEngine.dispose()]);
    await llm.close();
  });

  it('the example body is the answer to a plan that leaves out a required input', async () => {
    const [example] = doc.blocks('json');
    const res = await api.post('/orchestrations', {
      action: { content: 'Look up order ORD1' },
      plan: {
        tasks: [
          { id: 'task0', input: {} },
          { id: 'task1', service: serviceId, input: {} },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(parseDocJson(example!.text));
  });

  describe('every code of the table', () => {
    const rows = markdownTables(doc.text).find((t) => t.header.join() === 'Code,HTTP,When')!.rows;
    const notActionable = { id: '' };

    /** One real request per code: the situation the row's "When" describes. */
    const producers: Record<string, () => Promise<ApiResponse>> = {
      'Orra:JSONMarshalingFail': async () => {
        const notJson = await api.request('POST', '/orchestrations', undefined, '{"action":');
        expect(notJson.body.error.code).toBe('Orra:JSONMarshalingFail');
        // The row's example: a field of the wrong type.
        return api.post('/orchestrations', {
          action: { content: 'Look up order ORD1' },
          timeout: '30 parsecs',
          plan: { tasks: [{ id: 'task1', service: serviceId, input: { orderId: 'ORD1' } }] },
        });
      },
      'Orra:ValidationFailed': () =>
        api.post('/register/service', { name: 'Not A Valid Name!', description: 'x', schema: {} }),
      'Orra:InvalidPlan': () =>
        api.post('/orchestrations', {
          action: { content: 'Look up order ORD1' },
          plan: {
            tasks: [{ id: 'task1', service: serviceId, input: { orderId: '$task0.orderId', colour: 1 } }],
          },
        }),
      // No plan, no grounding spec, no LLM.
      'Orra:ActionCannotExecute': () =>
        api.post('/orchestrations', { action: { content: 'Look up order ORD1' } }),
      'Orra:ActionNotActionable': async () => {
        const { api: grounded } = await newProject(engine.url, 'grounded');
        for (const def of Object.values(ECOMMERCE_SERVICES))
          await grounded.post('/register/service', {
            name: def.name,
            description: def.description,
            schema: schemaOf(def),
          });
        expect((await grounded.post('/groundings', ECOMMERCE_GROUNDING)).status).toBe(201);
        const res = await grounded.post('/orchestrations', {
          action: { content: 'What is the weather in Paris?' },
        });
        // "names the stored not_actionable orchestration"
        notActionable.id = /\(orchestration (o_\w+)\)$/.exec(res.body.error.message)?.[1] ?? '';
        const stored = await grounded.get(`/orchestrations/${notActionable.id}`);
        expect(stored.body.status).toBe('not_actionable');
        produced.set('Orra:Conflict', await grounded.post(`/orchestrations/${notActionable.id}/abort`, {}));
        return res;
      },
      'Orra:InvalidGrounding': () => api.post('/groundings', { ...ECOMMERCE_GROUNDING, name: 'No Capitals' }),
      'Orra:GroundingVersionExists': async () => {
        expect((await api.post('/groundings', ECOMMERCE_GROUNDING)).status).toBe(201);
        return api.post('/groundings', ECOMMERCE_GROUNDING);
      },
      'Orra:Unauthenticated': () => new Api(engine.url, 'sk-orra-v1-unknown').get('/orchestrations'),
      'Orra:Forbidden': () => new Api(llmEngine.url).post('/register/project', { name: 'no-token' }),
      'Orra:RouteNotFound': () => api.get('/no-such-route'),
      'Orra:UnknownOrchestration': async () => {
        // Another project's id is not found either.
        const theirs = await other.post('/orchestrations', {
          action: { content: 'Look up order ORD1' },
          plan: { tasks: [{ id: 'task1', service: otherServiceId, input: { orderId: 'ORD1' } }] },
        });
        expect(theirs.status).toBe(202);
        expect((await api.get(`/orchestrations/${theirs.body.id}`)).body.error.code).toBe(
          'Orra:UnknownOrchestration',
        );
        return api.get('/orchestrations/o_NoSuchOrchestration1234');
      },
      'Orra:UnknownService': () =>
        api.post('/register/service', {
          id: otherServiceId,
          name: 'orders',
          description: 'Looks up orders',
          schema: {
            input: { type: 'object', properties: { orderId: { type: 'string' } } },
            output: { type: 'object', properties: { status: { type: 'string' } } },
          },
        }),
      'Orra:NotFound': () => api.get('/compensation-failures/c_NoSuchFailure12345678'),
      // Produced by the ActionNotActionable case: aborting an orchestration that has ended.
      'Orra:Conflict': async () => produced.get('Orra:Conflict')!,
      'Orra:IdempotencyKeyReused': async () => {
        const lookUp = (orderId: string) => ({
          action: { content: `Look up order ${orderId}` },
          plan: { tasks: [{ id: 'task1', service: serviceId, input: { orderId } }] },
        });
        const key = { 'Idempotency-Key': 'look-up-once' };
        expect((await api.request('POST', '/orchestrations', lookUp('ORD1'), undefined, key)).status).toBe(
          202,
        );
        return api.request('POST', '/orchestrations', lookUp('ORD2'), undefined, key);
      },
      'Orra:PayloadTooLarge': () =>
        api.post('/orchestrations', { action: { content: 'x'.repeat(BODY_LIMIT) } }),
      'Orra:PlannerUnavailable': () => {
        llm.reply({ status: 500, body: { error: { message: 'model overloaded' } } });
        return llmApi.post('/orchestrations', { action: { content: 'Look up order ORD1' } });
      },
      'Orra:PlanningFailed': () => {
        llm.reply('no plan', 'still no plan', 'no plan, sorry');
        return llmApi.post('/orchestrations', { action: { content: 'Look up order ORD1' } });
      },
      'Orra:PlannerTimeout': () => {
        llm.reply('hang');
        return llmApi.post('/orchestrations', { action: { content: 'Look up order ORD1' } });
      },
      'Orra:PlanEngineStarting': async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'orra-errors-starting-'));
        const held = await startHeld(await freePort(), dataDir);
        try {
          // Before authentication: nothing is served while the engine resumes.
          return await new Api(held.engine.url, 'sk-orra-v1-any').get('/orchestrations');
        } finally {
          await held.release();
          await held.engine.stop();
          rmSync(dataDir, { recursive: true, force: true });
          await dropSchema(schemaForDataDir(dataDir));
        }
      },
      'Orra:ReadOnlyKey': async () => {
        const read = (await api.post('/apikeys', { role: 'read' })).body.apiKey as string;
        return api.withKey(read).post('/webhooks', { url: 'https://example.com/hooks' });
      },
      'Orra:ConsoleRequestRefused': async () => {
        const signIn = await fetch(`${engine.url}/console/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apiKey: api.apiKey }),
        });
        const cookie = /^([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')![1]!;
        // A cross-site form would send the cookie, but neither JSON nor the custom header.
        return answer(
          await fetch(`${engine.url}/webhooks`, {
            method: 'POST',
            headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
            body: 'url=https://evil.example',
          }),
        );
      },
      'Orra:TooManyRequests': async () => {
        const limited = await startTestEngine({ consoleSignInsPerMinute: 1 });
        try {
          const attempt = () =>
            fetch(`${limited.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"apiKey":"sk-orra-v1-x"}' });
          await attempt();
          const res = await answer(await attempt());
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          return res;
        } finally {
          await limited.dispose();
        }
      },
      'Orra:CursorExpired': async () => {
        // An event older than retention, deleted by the sweep: a cursor before it has lost it.
        const short = await startTestEngine({ retentionMs: 1_000, retentionSweepIntervalMs: 100 });
        try {
          const { api: theirs, projectId } = await newProject(short.url, 'short-memory');
          await short.store.transaction(async (tx) => {
            const sequence = await tx.events.nextSequence(projectId);
            await tx.webhookDeliveries.insertEvent({
              id: `o_Gone-completed-${sequence}`,
              projectId,
              type: 'orchestration.completed',
              body: '{}',
              createdAt: Date.now() - 60_000,
              sequence,
              subject: 'o_Gone',
              orchestrationId: 'o_Gone',
            });
          });
          return await waitFor(
            async () => {
              const res = await theirs.get('/events?after=0');
              return res.status === 410 ? res : undefined;
            },
            { what: 'the sweep to delete the event', timeoutMs: 30_000 },
          );
        } finally {
          await short.dispose();
        }
      },
      'Orra:Internal': async () => {
        // Storage gone from under a running engine: an unexpected failure.
        const broken = await startTestEngine();
        try {
          const { api: theirs } = await newProject(broken.url, 'broken');
          await broken.store.close();
          return await theirs.get('/orchestrations');
        } finally {
          await broken.dispose().catch(() => undefined); // its storage is already closed
        }
      },
    };

    it('the table lists the codes this test produces', () => {
      expect(rows.length).toBeGreaterThan(15);
      const codes = rows.map(([code]) => code!.replace(/`/g, ''));
      expect([...codes].sort()).toEqual([...Object.keys(producers), ...Object.keys(NOT_SENT)].sort());
    });

    it.for(rows.map((r) => [r[0]!.replace(/`/g, ''), Number(r[1]), r[2]!] as const))(
      '%s: HTTP %i',
      async ([code, status, when], { skip }) => {
        if (NEEDS_POSTGRES.has(code) && !isPostgresUp)
          skip('no PostgreSQL server to hold an engine in its start-up');
        if (NOT_SENT[code]) {
          expect(when, `the row must say the code is not sent (${NOT_SENT[code]})`).toMatch(/not sent/i);
          return;
        }
        const res = await producers[code]!();
        expect(res.status, JSON.stringify(res.body)).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        // One JSON body: {"error":{kind, code, message, param?, requestId?}}.
        expect(Object.keys(res.body)).toEqual(['error']);
        const { error } = res.body;
        expect(error).toMatchObject({ kind: expect.any(String), code, message: expect.any(String) });
        // Beyond these, only the field the docs name for one code: `oldest_cursor` of Orra:CursorExpired.
        const extra = code === 'Orra:CursorExpired' ? ['oldest_cursor'] : [];
        expect(
          Object.keys(error).filter((k) => ![...['kind', 'code', 'param', 'message', 'requestId'], ...extra].includes(k)),
        ).toEqual([]);
        if (code === 'Orra:CursorExpired') expect(error.oldest_cursor).toMatch(/^\d{20}$/);
        expect(error.message).not.toBe('');
        expect(error.message).not.toMatch(/\n\s+at /); // never a stack
        if (status >= 500) expect(error.requestId).toEqual(expect.any(String));
        else expect(error).not.toHaveProperty('requestId');
        if (status === 500)
          expect(error.message).toBe(`internal server error (request id ${error.requestId})`);
        // What the row promises beyond the code.
        const param = /`param` (?:is |names? )?`(\w[\w-]*)`/.exec(when)?.[1];
        if (param) expect(error.param).toBe(param);
        const kind = /kind `([^`]+)`/.exec(when)?.[1];
        if (kind) expect(error.kind).toBe(kind);
      },
    );

    it('the rows that promise more say what the body carries', async () => {
      const invalidGrounding = rows.find(([c]) => c === '`Orra:InvalidGrounding`')![2]!;
      const params = [...invalidGrounding.matchAll(/`([\w-]+)`/g)].map((m) => m[1]);
      const res = await api.post('/groundings', { ...ECOMMERCE_GROUNDING, name: 'again', constraints: 'x' });
      expect(params).toContain(res.body.error.param);
      const unavailable = await (async () => {
        llm.reply({ status: 503, body: { error: { message: 'model overloaded' } } });
        return llmApi.post('/orchestrations', { action: { content: 'Look up order ORD1' } });
      })();
      // "the message has the status and the endpoint's text"
      expect(unavailable.body.error.message).toContain('503');
      expect(unavailable.body.error.message).toContain('model overloaded');
      const failed = await (async () => {
        llm.reply('no plan', 'still no plan', 'no plan, sorry');
        return llmApi.post('/orchestrations', { action: { content: 'Look up order ORD1' } });
      })();
      // "the message lists the problems of the last answer"
      expect(failed.body.error.message).toContain('the reply has no JSON plan');
    });
  });

  it('WebSocket upgrades are refused with 401 for an unknown key and 403 for another project’s service', async () => {
    const ws = engine.url.replace(/^http/, 'ws');
    expect(await upgradeStatus(`${ws}/ws?serviceId=${serviceId}&apiKey=${api.apiKey}`)).toBe(101);
    expect(await upgradeStatus(`${ws}/ws?serviceId=${serviceId}&apiKey=sk-orra-v1-unknown`)).toBe(401);
    expect(await upgradeStatus(`${ws}/ws?serviceId=${otherServiceId}&apiKey=${api.apiKey}`)).toBe(403);
  });
});
