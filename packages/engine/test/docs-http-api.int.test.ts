import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, newProject } from './helpers/api.js';
import { parseCurlCommands, sendCurl } from './helpers/curl-command.js';
import { fillPlaceholders, parseDocJson, shapeMismatches } from './helpers/doc-json.js';
import { MarkdownDoc, type MarkdownSection } from './helpers/markdown-doc.js';
import { startRefundServices } from './helpers/refund-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * The examples of docs/http-api.md, outside its Webhooks part (docs-http-api-webhooks.int.test.ts runs
 * those): each request the document shows is sent as written (placeholders such as `s_payments…` filled
 * with real ids) to a real engine, and the answer must have the documented status and every documented
 * field, with the documented value where the example is not a placeholder.
 */
const doc = MarkdownDoc.read('docs/http-api.md');
const webhookHeadings = new Set(
  new MarkdownDoc('docs/http-api.md#webhooks', doc.section('Webhooks', 2).body)
    .sections(3)
    .map((s) => s.heading),
);
const exercised = new Set<string>();

/** The section documenting a route, marked as exercised by this file. */
function route(name: string): MarkdownSection {
  const section = doc.sections(3).find((s) => s.routes.includes(name));
  if (!section) throw new Error(`docs/http-api.md has no section for ${name}`);
  exercised.add(section.heading);
  return section;
}

/** The first `` `201 {"apiKey":…}` `` (or bare `` `204` ``) of a section's prose: status and optional body. */
function inlineAnswer(section: MarkdownSection): { status: number; body?: unknown } {
  const m = /`([1-5]\d\d)(?: (\{[^`]*\}))?`/.exec(section.body.replace(/```[\s\S]*?```/g, ''));
  if (!m) throw new Error(`${section.heading}: no status in the prose`);
  return { status: Number(m[1]), ...(m[2] ? { body: parseDocJson(m[2]) } : {}) };
}

/** The text of a section's code block, placeholders filled; fails when one is left. */
function block(
  section: MarkdownSection,
  lang: string,
  index = 0,
  values: Record<string, string> = {},
): string {
  const found = section.blocks.filter((b) => b.lang === lang)[index];
  if (!found) throw new Error(`${section.heading}: no ${lang} block #${index}`);
  return fillPlaceholders(found.text, values);
}

function requestBody(section: MarkdownSection, values: Record<string, string> = {}): string {
  const text = block(section, 'json', 0, values);
  expect(text, `${section.heading}: unfilled placeholder in the request`).not.toContain('…');
  return text;
}

describe('docs/http-api.md examples against a real engine', () => {
  let engine: TestEngine;
  let shop: Api;
  let shopId: string;

  beforeAll(async () => {
    engine = await startTestEngine({ taskMaxAttempts: 1, taskBackoffMs: 10, compensationBackoffMs: 10 });
  });
  afterAll(() => engine.dispose());

  it('the comparison with an example fails on a missing field, another value or another type', () => {
    const example = parseDocJson(
      '{"id":"wh_8fKq2…","kind":"orchestration","n":1,…,"at":"2026-11-28T10:00:00Z"}',
    );
    expect(
      shapeMismatches(example, { id: 'wh_x', kind: 'orchestration', n: 1, at: '2026-11-29T01:02:03.456Z' }),
    ).toEqual([]);
    expect(
      shapeMismatches(example, { id: 'wh_x', kind: 'orchestration', at: '2026-11-29T01:02:03Z' }),
    ).toEqual(['n: documented but missing']);
    expect(
      shapeMismatches(example, { id: 7, kind: 'compensation_failure', n: 1, at: 'yesterday' }),
    ).toHaveLength(3);
    expect(() => parseDocJson('{"a":}')).toThrow(/not JSON/);
  });

  it('GET /health', async () => {
    const expected = inlineAnswer(route('GET /health'));
    const res = await new Api(engine.url).get('/health');
    expect(res.status).toBe(expected.status);
    expect(res.body).toEqual(expected.body);
  });

  it('POST /register/project: the curl example, answered with the documented record', async () => {
    const section = route('POST /register/project');
    const [command, ...more] = parseCurlCommands(block(section, 'sh'));
    expect(more).toHaveLength(0);
    const res = await sendCurl(command!, engine.url);
    expect(res.status).toBe(inlineAnswer(section).status);
    expect(shapeMismatches(parseDocJson(block(section, 'json')), res.body)).toEqual([]);
    expect(res.body.apiKey).toMatch(/^sk-orra-v1-[0-9a-f]{64}$/); // the example's `<64 hex>`
    expect(res.body.id).toMatch(/^p_/);
    shop = new Api(engine.url, res.body.apiKey);
    shopId = res.body.id;
  });

  it('POST /apikeys', async () => {
    const expected = inlineAnswer(route('POST /apikeys'));
    const res = await shop.post('/apikeys');
    expect(res.status).toBe(expected.status);
    expect(shapeMismatches(expected.body, res.body)).toEqual([]);
    expect((await shop.withKey(res.body.apiKey).get('/groundings')).status).toBe(200);
  });

  it('POST /register/service and POST /register/agent, then re-registration by id', async () => {
    const section = route('POST /register/service');
    const expected = inlineAnswer(section);
    expect(section.routes).toEqual(['POST /register/service', 'POST /register/agent']);
    for (const path of ['/register/service', '/register/agent']) {
      const res = await shop.request('POST', path, undefined, requestBody(section));
      expect(res.status, path).toBe(expected.status);
      expect(shapeMismatches(expected.body, res.body), path).toEqual([]);
      const again = await shop.request(
        'POST',
        path,
        undefined,
        requestBody(section).replace('"id":null', `"id":"${res.body.id}"`),
      );
      expect(again.body).toMatchObject({ id: res.body.id, version: 2 });
    }
    const unknown = await shop.request(
      'POST',
      '/register/service',
      undefined,
      requestBody(section).replace('"id":null', '"id":"s_notinthisproject"'),
    );
    expect(unknown.status).toBe(404);
  });

  describe('orchestrations', () => {
    let orders: Api;
    let services: Awaited<ReturnType<typeof startRefundServices>>;
    const failed: string[] = [];
    let processing: string;

    beforeAll(async () => {
      ({ api: orders } = await newProject(engine.url, 'orders'));
      services = await startRefundServices({ orraUrl: engine.url, apiKey: orders.apiKey!, notify: 'fail' });
    });
    afterAll(() => services.close());

    const status = async (id: string) => (await orders.get(`/orchestrations/${id}`)).body.status as string;

    it('GET /services and GET /services/{id}: the documented list, and one of it', async () => {
      const section = route('GET /services');
      expect(section.routes).toEqual(['GET /services', 'GET /services/{id}']);
      const example = parseDocJson(block(section, 'json', 0, services.placeholders));
      const list = await waitFor(
        async () => {
          const res = await orders.get('/services');
          return res.body.every((s: any) => s.connection.state === 'connected') ? res : undefined;
        },
        { what: 'both services to show as connected' },
      );
      expect(list.status).toBe(inlineAnswer(section).status);
      expect(shapeMismatches(example, list.body)).toEqual([]);
      expect(list.body).toHaveLength(2);
      const one = await orders.get(`/services/${services.payments.id}`);
      expect(one.body).toEqual(list.body[1]);
      expect((await orders.get('/services/s_notinthisproject')).body.error.code).toBe('Orra:UnknownService');
    });

    it('POST /orchestrations: the documented request is accepted with 202 and the stored record', async () => {
      const section = route('POST /orchestrations');
      const body = requestBody(section, services.placeholders);
      for (let i = 0; i < 2; i++) {
        const res = await orders.request('POST', '/orchestrations', undefined, body);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect(res.body).toMatchObject({
          status: 'pending',
          planner: 'explicit',
          taskZero: { reason: 'damaged', orderId: 'ORD1' },
        });
        expect(res.body.plan.tasks.map((t: { id: string }) => t.id)).toEqual(['task1', 'task2']);
        failed.push(res.body.id);
        // notify always fails: the orchestration fails at task2 and the payment is undone.
        await waitFor(async () => (await status(res.body.id)) === 'failed', {
          what: 'the orchestration to fail',
        });
      }
      services.hold();
      processing = (await orders.request('POST', '/orchestrations', undefined, body)).body.id;
      await waitFor(async () => (await status(processing)) === 'processing', {
        what: 'a processing orchestration',
      });
    });

    it('GET /orchestrations: grouped by status, as documented', async () => {
      const example = parseDocJson(block(route('GET /orchestrations'), 'json'));
      const list = await waitFor(
        async () => {
          const res = await orders.get('/orchestrations');
          return res.body.failed?.every((o: any) => o.compensation?.completed === 1) ? res : undefined;
        },
        { what: 'the failed orchestrations to be compensated' },
      );
      expect(list.status).toBe(200);
      expect(shapeMismatches(example, list.body)).toEqual([]);
      expect(list.body.failed.map((o: { id: string }) => o.id)).toEqual([...failed].reverse());
      expect(list.body.processing.map((o: { id: string }) => o.id)).toEqual([processing]);
    });

    it('GET /orchestrations/search: the documented item fields, filtered by status', async () => {
      const expected = inlineAnswer(route('GET /orchestrations/search'));
      const res = await orders.get('/orchestrations/search?status=failed&q=refund');
      expect(res.status).toBe(expected.status);
      expect(res.body.items.map((o: { id: string }) => o.id)).toEqual([...failed].reverse());
      const documented = expected.body as { items: unknown[]; nextCursor: null };
      expect(shapeMismatches(documented.items[0], res.body.items[0])).toEqual([]);
      expect(res.body.nextCursor).toBeNull();
    });

    it('GET /orchestrations/failure-counts: the documented counts, grouped by the failing service and error', async () => {
      const expected = inlineAnswer(route('GET /orchestrations/failure-counts'));
      const res = await orders.get('/orchestrations/failure-counts');
      expect(res.status).toBe(expected.status);
      expect(shapeMismatches(expected.body, res.body)).toEqual([]);
      expect(res.body.groups[0]).toMatchObject({ serviceId: services.notify.id, count: failed.length });
    });

    it('GET /orchestrations/{id}: the stored record with the documented fields', async () => {
      route('GET /orchestrations/{id}');
      const res = await orders.get(`/orchestrations/${failed[0]}`);
      expect(res.status).toBe(200);
      for (const key of ['status', 'results', 'plan', 'taskZero', 'planner', 'error'])
        expect(res.body, key).toHaveProperty(key);
      expect(res.body.results).toBeNull();
      expect(res.body.error).toMatchObject({
        id: expect.stringMatching(/^task_fail_task2_/),
        producer: 'task2',
      });
      expect(res.body).not.toHaveProperty('abortReason');
    });

    it('GET /orchestrations/inspections/{id}: the documented task fields', async () => {
      route('GET /orchestrations/inspections/{id}');
      const res = await orders.get(`/orchestrations/inspections/${failed[0]}`);
      expect(res.status).toBe(200);
      for (const key of ['results', 'plan', 'tasks']) expect(res.body, key).toHaveProperty(key);
      const [payment, notify] = res.body.tasks;
      for (const key of [
        'status',
        'statusHistory',
        'input',
        'duration',
        'isRevertible',
        'output',
        'compensation',
        'compensationHistory',
      ]) {
        expect(payment, key).toHaveProperty(key);
      }
      expect(payment).toMatchObject({
        id: 'task1',
        input: { orderId: 'ORD1' },
        isRevertible: true,
        compensation: { status: 'completed' },
      });
      expect(notify).toMatchObject({
        id: 'task2',
        status: 'failed',
        error: expect.stringContaining('no courier available'),
      });
      // Ours: attempt numbers, the creation time, and a duration that stopped when the orchestration ended.
      expect(payment).toMatchObject({ attempt: 1, maxAttempts: 1 });
      expect(notify).toMatchObject({ attempt: 1, maxAttempts: 1 });
      expect(notify).not.toHaveProperty('nextAttemptAt');
      const { createdAt, timestamp, duration } = res.body;
      expect(duration).toBe((Date.parse(timestamp) - Date.parse(createdAt)) * 1e6);
    });

    it('POST /orchestrations/{id}/abort: the documented body, then 409 once it has ended', async () => {
      const section = route('POST /orchestrations/{id}/abort');
      const body = /`(\{"reason":[^`]*\})`/.exec(section.body)![1]!;
      const res = await orders.request('POST', `/orchestrations/${processing}/abort`, undefined, body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'aborted',
        abortReason: { reason: 'customer cancelled', abortedBy: 'operator' },
      });
      expect(section.body).toContain(JSON.stringify(res.body.abortReason));
      services.release();
      expect(
        (await orders.request('POST', `/orchestrations/${processing}/abort`, undefined, body)).status,
      ).toBe(409);
      const inspection = await orders.get(`/orchestrations/inspections/${processing}`);
      expect(inspection.body.abortInfo.payload).toEqual(res.body.abortReason);
    });

    it('POST /orchestrations with an Idempotency-Key: the curl example sent twice makes one orchestration', async () => {
      const section = route('POST /orchestrations');
      const [command, ...more] = parseCurlCommands(block(section, 'sh', 0, services.placeholders), {
        ORRA_API_KEY: orders.apiKey!,
      });
      expect(more).toHaveLength(0);
      expect(command!.headers['idempotency-key']).toBe('6f1c2e0a-8f1e-4c55-9d7e-0b7b3c1d2a44');
      const first = await sendCurl(command!, engine.url);
      const second = await sendCurl(command!, engine.url);
      expect([first.status, second.status], JSON.stringify(first.body)).toEqual([202, 202]);
      expect(second.body.id).toBe(first.body.id);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      const other = await sendCurl(
        { ...command!, body: command!.body!.replaceAll('ORD7', 'ORD8') },
        engine.url,
      );
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('Orra:IdempotencyKeyReused');
      await waitFor(async () => (await status(first.body.id)) === 'completed', {
        what: 'the idempotent orchestration to complete',
      });
    });
  });

  describe('grounding specs', () => {
    it('POST /groundings: 201 with the spec echoed plus projectID; the same version again is 400', async () => {
      const section = route('POST /groundings');
      const spec = JSON.parse(requestBody(section));
      const res = await shop.request('POST', '/groundings', undefined, requestBody(section));
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ ...spec, projectID: shopId });
      const again = await shop.request('POST', '/groundings', undefined, requestBody(section));
      expect(again.status).toBe(400);
      expect(again.body.error).toMatchObject({
        kind: 'invalid operation',
        code: 'Orra:GroundingVersionExists',
        param: 'version',
      });
      const documented = /message `([^`]*)`/.exec(section.body.replace(/\n/g, ' '))![1]!;
      expect(again.body.error.message).toBe(
        fillPlaceholders(documented, { '<pid>': shopId, '<name>': spec.name, '<version>': spec.version }),
      );
    });

    it('GET /groundings, DELETE /groundings/{name} and DELETE /groundings', async () => {
      route('GET /groundings');
      const list = await shop.get('/groundings');
      expect(list.status).toBe(200);
      expect(list.body.map((s: { name: string }) => s.name)).toEqual(['ecommerce-support']);
      const expected = inlineAnswer(route('DELETE /groundings/{name}'));
      expect((await shop.delete('/groundings/ecommerce-support')).status).toBe(expected.status);
      expect((await shop.get('/groundings')).body).toBeNull();
      expect((await shop.delete('/groundings/never-there')).status).toBe(expected.status);
      expect((await shop.delete('/groundings')).status).toBe(expected.status);
    });
  });

  it('GET /metrics: Prometheus text without an API key', async () => {
    route('GET /metrics');
    const res = await new Api(engine.url).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^# TYPE orra_orchestration_failures_total counter$/m);
    expect(res.body).toMatch(/^orra_orchestration_failures_total 2$/m);
  });

  describe('bulk changes, audit and console sign-in', () => {
    let refunds: Api;
    let services: Awaited<ReturnType<typeof startRefundServices>>;
    beforeAll(async () => {
      ({ api: refunds } = await newProject(engine.url, 'refunds'));
      // Undoing a payment fails: each failed orchestration leaves a pending failed compensation.
      services = await startRefundServices({ orraUrl: engine.url, apiKey: refunds.apiKey!, notify: 'fail', revert: 'fail' });
      const body = requestBody(route('POST /orchestrations'), services.placeholders);
      for (let i = 0; i < 3; i++) expect((await refunds.request('POST', '/orchestrations', undefined, body)).status).toBe(202);
      await waitFor(async () => ((await refunds.get('/compensation-failures?resolution=pending')).body ?? []).length === 3, {
        timeoutMs: 30_000,
        what: 'three pending failed compensations',
      });
    });
    afterAll(() => services.close());

    it('GET /compensation-failures/count, then POST /compensation-failures/bulk as documented', async () => {
      const counted = inlineAnswer(route('GET /compensation-failures/count'));
      const count = await refunds.get('/compensation-failures/count?service=payments');
      expect(count.status).toBe(counted.status);
      expect(count.body).toEqual(counted.body);
      expect((await refunds.get('/compensation-failures/count')).body).toEqual(counted.body);
      const unfiltered = await refunds.post('/compensation-failures/bulk', { ...JSON.parse(requestBody(route('POST /compensation-failures/bulk'))), filter: {} });
      expect(unfiltered.status).toBe(400);
      expect(unfiltered.body.error.param).toBe('filter');
      const section = route('POST /compensation-failures/bulk');
      const expected = inlineAnswer(section);
      const wrong = await refunds.post('/compensation-failures/bulk', { ...JSON.parse(requestBody(section)), expectedCount: 2 });
      expect(wrong.status).toBe(409);
      const res = await refunds.request('POST', '/compensation-failures/bulk', undefined, requestBody(section));
      expect(res.status).toBe(expected.status);
      expect(shapeMismatches(expected.body, res.body)).toEqual([]);
      expect(res.body.ids).toHaveLength(3);
      expect((await refunds.get('/compensation-failures?resolution=pending')).body).toBeNull();
    });

    it('GET /audit: the documented entry fields', async () => {
      const expected = inlineAnswer(route('GET /audit'));
      // The bulk change of the test before, sent without X-Orra-Client: from the API.
      const audit = await refunds.get('/audit?action=compensation.bulk');
      expect(audit.status).toBe(expected.status);
      const documented = expected.body as { entries: unknown[] };
      expect(shapeMismatches({ ...documented, entries: [] }, { ...audit.body, entries: [] })).toEqual([]);
      expect(Object.keys(audit.body.entries[0]).sort()).toEqual(Object.keys(documented.entries[0] as object).sort());
      expect(audit.body.entries[0]).toMatchObject({ client: 'api', keyLabel: 'primary', reason: 'refunded by the bank batch of 2 Dec' });
    });

    it('POST /console/session, GET and DELETE /console/session, POST /console/links', async () => {
      const signIn = inlineAnswer(route('POST /console/session'));
      const res = await fetch(`${engine.url}/console/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiKey: refunds.apiKey }),
      });
      expect(res.status).toBe(signIn.status);
      expect(shapeMismatches(signIn.body, await res.json())).toEqual([]);
      const cookie = /^([^;]+)/.exec(res.headers.get('set-cookie')!)![1]!;
      const who = inlineAnswer(route('GET /console/session'));
      const me = await fetch(`${engine.url}/console/session`, { headers: { cookie } });
      expect(me.status).toBe(who.status);
      expect(shapeMismatches(who.body, await me.json())).toEqual([]);
      const out = await fetch(`${engine.url}/console/session`, { method: 'DELETE', headers: { cookie, 'x-orra-client': 'console' } });
      expect(out.status).toBe(204);
      const linkDoc = inlineAnswer(route('POST /console/links'));
      const link = await refunds.post('/console/links');
      expect(link.status).toBe(linkDoc.status);
      expect(shapeMismatches(linkDoc.body, link.body)).toEqual([]);
    });
  });

  it('exercises every route section of the document outside its Webhooks part', () => {
    const routeSections = doc
      .sections(3)
      .filter((s) => s.routes.length > 0 && !webhookHeadings.has(s.heading));
    expect(routeSections.length).toBeGreaterThan(10);
    expect(routeSections.map((s) => s.heading).filter((h) => !exercised.has(h))).toEqual([]);
  });
});
