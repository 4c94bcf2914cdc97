import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { parseCurlCommands, sendCurl } from './helpers/curl-command.js';
import { fillPlaceholders, parseDocJson, shapeMismatches } from './helpers/doc-json.js';
import { freePort } from './helpers/engine-process.js';
import { MarkdownDoc, type MarkdownSection } from './helpers/markdown-doc.js';
import { startRefundServices } from './helpers/refund-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * The examples of the Webhooks part of docs/http-api.md, run against a real engine with real receivers:
 * each documented request is sent as written (placeholders filled with real ids and the receivers' URLs),
 * and each documented answer must match: status, every field, and every value that is not a placeholder.
 * The receivers are set up to produce what the examples show (a 503 answered twice, a 500 then a 200, a
 * 410 Gone, a closed port), so the examples describe real behaviour.
 */
const doc = MarkdownDoc.read('docs/http-api.md');
const webhooksPart = new MarkdownDoc('docs/http-api.md', doc.section('Webhooks', 2).body);
const exercised = new Set<string>();

function route(name: string): MarkdownSection {
  const section = webhooksPart.sections(3).find((s) => s.routes.includes(name));
  if (!section) throw new Error(`the Webhooks part of docs/http-api.md has no section for ${name}`);
  exercised.add(section.heading);
  return section;
}

function inlineAnswer(section: MarkdownSection): { status: number; body?: unknown } {
  const m = /`([1-5]\d\d)(?: (\{[^`]*\}))?`/.exec(section.body.replace(/```[\s\S]*?```/g, ''));
  if (!m) throw new Error(`${section.heading}: no status in the prose`);
  return { status: Number(m[1]), ...(m[2] ? { body: parseDocJson(m[2]) } : {}) };
}

function example(section: MarkdownSection, lang: string, values: Record<string, string> = {}): string {
  const found = section.blocks.find((b) => b.lang === lang);
  if (!found) throw new Error(`${section.heading}: no ${lang} block`);
  return fillPlaceholders(found.text, values);
}

/** Runs the section's curl example with `$KEY` set to the project's key; no placeholder may be left. */
async function runCurl(
  section: MarkdownSection,
  api: Api,
  baseUrl: string,
  values: Record<string, string> = {},
) {
  const [command, ...more] = parseCurlCommands(example(section, 'sh', values), { KEY: api.apiKey! });
  expect(more).toHaveLength(0);
  expect(JSON.stringify(command), 'an unfilled placeholder').not.toContain('…');
  return sendCurl(command!, baseUrl);
}

describe('docs/http-api.md, Webhooks: examples against a real engine and real receivers', () => {
  let engine: TestEngine;
  let hooks: Api;
  let services: Awaited<ReturnType<typeof startRefundServices>>;
  const b = new WebhookReceiver(); // the curl example's endpoint: 500 "try later" to the first request of each event, then 200 "ok"
  const c = new WebhookReceiver(); // answers its first request with 410 Gone, then 200
  let closedPort: number; // a compensation-failure endpoint nobody listens on
  const ids: Record<'b' | 'c' | 'd', string> = { b: '', c: '', d: '' };
  let secretB = '';

  beforeAll(async () => {
    engine = await startTestEngine({
      webhookRetrySchedule: '0s,50ms,1h',
      taskMaxAttempts: 1,
      taskBackoffMs: 10,
    });
    ({ api: hooks } = await newProject(engine.url, 'hooks'));
    services = await startRefundServices({ orraUrl: engine.url, apiKey: hooks.apiKey! });
    b.reply = (hook) =>
      b.byEventId(String(hook.headers['webhook-id'])).length === 1
        ? { status: 500, body: 'try later' }
        : { status: 200, body: 'ok' };
    c.reply = (_hook, n) => (n === 1 ? { status: 410 } : { status: 200, body: 'ok' });
    await Promise.all([b.listen(), c.listen()]);
    closedPort = await freePort();
  });
  afterAll(async () => {
    await services.close();
    await Promise.all([b.close(), c.close()]);
    await engine.dispose();
  });

  /** Runs the docs' refund orchestration in the hooks project and waits for it to complete. */
  async function completeOrchestration(): Promise<string> {
    const body = fillPlaceholders(
      doc.section('`POST /orchestrations`').blocks[0]!.text,
      services.placeholders,
    );
    const res = await hooks.request('POST', '/orchestrations', undefined, body);
    expect(res.status).toBe(202);
    await waitFor(
      async () => (await hooks.get(`/orchestrations/${res.body.id}`)).body.status === 'completed',
      { what: 'completion' },
    );
    return res.body.id;
  }

  const deliveryAt = async (endpoint: string, eventId: string) =>
    (await hooks.get(`/webhooks/events/${eventId}`)).body.deliveries?.find(
      (d: { endpointId: string }) => d.endpointId === endpoint,
    );

  it('POST /webhooks and POST /compensation-failure-webhooks: the curl example, answered as documented', async () => {
    const section = route('POST /webhooks');
    expect(section.routes).toEqual(['POST /webhooks', 'POST /compensation-failure-webhooks']);
    const values = { 'https://example.com/hooks/orra': b.url };
    const res = await runCurl(section, hooks, engine.url, values);
    expect(res.status).toBe(inlineAnswer(section).status);
    expect(shapeMismatches(parseDocJson(example(section, 'json', values)), res.body)).toEqual([]);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    ids.b = res.body.id;
    secretB = res.body.secret;
    expect((await runCurl(section, hooks, engine.url, values)).status).toBe(409); // the same URL twice for one kind
    ids.c = (await hooks.post('/webhooks', { url: c.url })).body.id;
    const d = await hooks.post('/compensation-failure-webhooks', {
      url: `http://127.0.0.1:${closedPort}/hooks`,
    });
    expect(d.status).toBe(201);
    expect(d.body.kind).toBe('compensation_failure');
    ids.d = d.body.id;
  });

  it('POST /webhooks/{id}/pause and /resume: the documented curl pauses; resume makes it active again', async () => {
    const section = route('POST /webhooks/{id}/pause');
    expect(section.routes).toContain('POST /webhooks/{id}/resume');
    const res = await runCurl(section, hooks, engine.url, { 'wh_8fKq2…': ids.d });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ids.d, state: 'paused', heldEvents: 0 });
    expect((await hooks.post('/webhooks/wh_unknown/pause')).status).toBe(404);
    const resumed = await hooks.post(`/webhooks/${ids.d}/resume`);
    expect(resumed.body).toMatchObject({ id: ids.d, state: 'active' });
  });

  it('POST /webhooks/{id}/test: the documented outcome for a closed port', async () => {
    const section = route('POST /webhooks/{id}/test');
    const res = await hooks.post(`/webhooks/${ids.d}/test`);
    expect(res.status).toBe(200);
    const documented = parseDocJson(
      example(section, 'json', { '127.0.0.1:3000': `127.0.0.1:${closedPort}` }),
    );
    expect(shapeMismatches(documented, res.body, { varying: ['durationMs'] })).toEqual([]);
    expect(res.body.eventId).toMatch(/^test_/);
  });

  it('POST /webhooks/{id}/rotate-secret: a new secret, the old one valid for 24 h', async () => {
    const section = route('POST /webhooks/{id}/rotate-secret');
    const before = (await hooks.get(`/webhooks/${ids.d}`)).body.secret;
    const res = await hooks.post(`/webhooks/${ids.d}/rotate-secret`);
    expect(res.status).toBe(200);
    expect(shapeMismatches(parseDocJson(example(section, 'json')), res.body)).toEqual([]);
    expect(res.body.secret).not.toBe(before);
    expect(Date.parse(res.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(
      24 * 3_600_000 - 60_000,
    );
    expect((await hooks.get(`/webhooks/${ids.d}`)).body.secret).toBe(res.body.secret);
  });

  it('GET /webhooks/events/{event_id} after a 500, a 200 and a redelivery (POST …/redeliver)', async () => {
    const section = route('GET /webhooks/events/{event_id}');
    const redeliver = route('POST /webhooks/events/{event_id}/redeliver');
    const orchestrationId = await completeOrchestration();
    const listed = await waitFor(
      async () => {
        const res = await hooks.get(`/webhooks/deliveries?endpoint=${ids.b}&type=orchestration.completed`);
        return res.body.deliveries.find(
          (d: { eventId: string; status: string }) =>
            d.eventId.startsWith(orchestrationId) && d.status === 'succeeded',
        );
      },
      { what: 'delivery to b after a 500' },
    );
    expect(listed.attempts).toBe(2);
    // The optional body of the prose, for endpoint b.
    const body = fillPlaceholders(/`(\{"endpoint":"wh_…"\})`/.exec(redeliver.body)![1]!, { 'wh_…': ids.b });
    const res = await hooks.request('POST', `/webhooks/events/${listed.eventId}/redeliver`, undefined, body);
    const expected = inlineAnswer(redeliver);
    expect(res.status).toBe(expected.status);
    expect(res.body).toEqual(expected.body);
    await waitFor(async () => (await deliveryAt(ids.b, listed.eventId))?.attempts === 3, {
      what: 'the redelivery',
    });
    const event = await hooks.get(`/webhooks/events/${listed.eventId}`);
    expect(event.status).toBe(200);
    const varying = [0, 1, 2].map((i) => `deliveries[0].attemptLog[${i}].durationMs`);
    expect(shapeMismatches(parseDocJson(example(section, 'json')), event.body, { varying })).toEqual([]);
    expect(JSON.parse(event.body.body)).toMatchObject({
      event_id: listed.eventId,
      type: 'orchestration.completed',
    });
    expect(b.byEventId(listed.eventId).map((h) => h.body)).toEqual(Array(3).fill(event.body.body)); // the same bytes each time
  });

  it('GET /webhooks and GET /webhooks/{id}: oldest first, secrets only by id, disabled and rotating ones marked', async () => {
    route('GET /webhooks');
    route('GET /webhooks/{id}');
    await waitFor(async () => (await hooks.get(`/webhooks/${ids.c}`)).body.enabled === false, {
      what: 'c disabled by its 410',
    });
    const list = await hooks.get('/webhooks');
    expect(list.status).toBe(200);
    expect(list.body.map((e: { id: string }) => e.id)).toEqual([ids.b, ids.c, ids.d]);
    expect(list.body.some((e: object) => 'secret' in e)).toBe(false);
    expect(list.body[1]).toMatchObject({
      enabled: false,
      disabledReason: expect.stringContaining('410'),
      disabledAt: expect.any(String),
    });
    expect(list.body[2]).toHaveProperty('previousSecretExpiresAt');
    expect(
      (await hooks.get('/webhooks?kind=compensation_failure')).body.map((e: { id: string }) => e.id),
    ).toEqual([ids.d]);
    expect((await hooks.get(`/webhooks/${ids.b}`)).body).toMatchObject({ id: ids.b, secret: secretB });
  });

  it('POST /webhooks/{id}/recover: 409 while disabled; after POST …/enable, sends what failed or was skipped', async () => {
    const section = route('POST /webhooks/{id}/recover');
    route('POST /webhooks/{id}/enable');
    const values = { 'wh_8fKq2…': ids.c };
    expect((await runCurl(section, hooks, engine.url, values)).status).toBe(409);
    await completeOrchestration(); // c is disabled: its delivery of this event is skipped
    await waitFor(
      async () =>
        (await hooks.get(`/webhooks/deliveries?endpoint=${ids.c}&status=skipped`)).body.deliveries.length > 0,
      {
        what: 'a skipped delivery',
      },
    );
    const enabled = await hooks.post(`/webhooks/${ids.c}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ id: ids.c, enabled: true });
    const res = await runCurl(section, hooks, engine.url, values);
    const expected = inlineAnswer(section);
    expect(res.status).toBe(expected.status);
    expect(shapeMismatches(expected.body, res.body, { varying: ['requeued'] })).toEqual([]);
    // The event that met the 410 was held and is sent by the enable; recover sends the one skipped meanwhile.
    expect(res.body.requeued).toBe(1);
    await waitFor(() => c.received.length === 3, { what: 'the recovered events at c' });
  });

  it('GET /webhooks/deliveries: a delivery answered 503 twice, pending its third attempt; paging by cursor', async () => {
    const section = route('GET /webhooks/deliveries');
    const { api: failing } = await newProject(engine.url, 'failing');
    const failingServices = await startRefundServices({
      orraUrl: engine.url,
      apiKey: failing.apiKey!,
      notify: 'fail',
    });
    const a = await new WebhookReceiver().listen();
    a.reply = () => ({ status: 503, body: 'busy' });
    try {
      const endpoint = (await failing.post('/webhooks', { url: a.url })).body.id as string;
      const body = fillPlaceholders(
        doc.section('`POST /orchestrations`').blocks[0]!.text,
        failingServices.placeholders,
      );
      for (let i = 0; i < 2; i++)
        expect((await failing.request('POST', '/orchestrations', undefined, body)).status).toBe(202);
      const query = `/webhooks/deliveries?endpoint=${endpoint}&type=orchestration.failed&limit=1`;
      const page = await waitFor(
        async () => {
          const res = await failing.get(query);
          return res.body.deliveries[0]?.attempts === 2 && a.received.length === 4 ? res : undefined;
        },
        { what: 'two failed orchestrations, each delivery answered 503 twice' },
      );
      expect(page.status).toBe(200);
      const documented = parseDocJson(example(section, 'json', { 'https://example.com/hooks/orra': a.url }));
      expect(shapeMismatches(documented, page.body, { varying: ['nextCursor'] })).toEqual([]);
      const next = await failing.get(`${query}&cursor=${page.body.nextCursor}`);
      expect(next.body.deliveries).toHaveLength(1);
      expect(next.body.deliveries[0].eventId).not.toBe(page.body.deliveries[0].eventId);
      expect(next.body.nextCursor).toBeNull();
    } finally {
      await failingServices.close();
      await a.close();
    }
  });

  it('DELETE /webhooks/{id}: 204, gone from the API, its history still readable', async () => {
    const expected = inlineAnswer(route('DELETE /webhooks/{id}'));
    expect((await hooks.delete(`/webhooks/${ids.d}`)).status).toBe(expected.status);
    expect((await hooks.get(`/webhooks/${ids.d}`)).status).toBe(404);
    const history = await hooks.get(`/webhooks/deliveries?endpoint=${ids.d}`);
    expect(history.body.deliveries.map((d: { type: string }) => d.type)).toEqual(['webhook.test']);
  });

  it('GET /webhooks/stats: the documented shape, from three real test sends (200, 200, 500) and an endpoint without attempts', async () => {
    const section = route('GET /webhooks/stats');
    const { api } = await newProject(engine.url, 'stats-doc');
    const receiver = await new WebhookReceiver().listen();
    try {
      receiver.reply = (_hook, n) => (n < 3 ? { status: 200, body: 'ok' } : { status: 500, body: 'boom' });
      const busy = (await api.post('/webhooks', { url: receiver.url })).body.id as string;
      const quiet = (await api.post('/webhooks', { url: `http://127.0.0.1:${closedPort}/quiet` })).body.id as string;
      for (let i = 0; i < 3; i++) await api.post(`/webhooks/${busy}/test`);
      const res = await api.get('/webhooks/stats');
      expect(res.status).toBe(200);
      expect(shapeMismatches(parseDocJson(example(section, 'json')), res.body, { varying: ['endpoints[0].successRate'] })).toEqual([]);
      expect(res.body.endpoints.map((e: { endpointId: string }) => e.endpointId)).toEqual([busy, quiet]);
      expect(res.body.endpoints[0].successRate).toBeCloseTo(2 / 3);
    } finally {
      await receiver.close();
    }
  });

  it('POST /webhooks/{id}/disable: the documented curl disables; 404 for an unknown id', async () => {
    const section = route('POST /webhooks/{id}/disable');
    const { api } = await newProject(engine.url, 'disable-doc');
    const id = (await api.post('/webhooks', { url: `http://127.0.0.1:${closedPort}/off` })).body.id as string;
    const res = await runCurl(section, api, engine.url, { 'wh_8fKq2…': id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, enabled: false, state: 'disabled', disabledReason: expect.stringMatching(/^disabled by an operator; /), heldEvents: 0 });
    expect((await api.post('/webhooks/wh_unknown/disable')).status).toBe(404);
  });

  it('exercises every route section of the Webhooks part', () => {
    const sections = webhooksPart.sections(3).filter((s) => s.routes.length > 0);
    expect(sections.length).toBeGreaterThan(8);
    expect(sections.map((s) => s.heading).filter((h) => !exercised.has(h))).toEqual([]);
  });
});
