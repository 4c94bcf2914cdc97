import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeader } from '../src/webhooks/webhook-signer.js';
import { newProject, type Api } from './helpers/api.js';
import { fillPlaceholders, parseDocJson, shapeMismatches } from './helpers/doc-json.js';
import { freePort } from './helpers/engine-process.js';
import { MarkdownDoc, REPO_ROOT } from './helpers/markdown-doc.js';
import { startRefundServices } from './helpers/refund-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver, type ReceivedWebhook } from './helpers/webhook-receiver.js';

/**
 * docs/webhooks.md against a real engine: the receiver example is extracted, type-checked and run as its
 * own Node process against real signed deliveries; the event bodies the engine sends have exactly the
 * documented fields; the documented headers and the signature recipe hold.
 */
const doc = MarkdownDoc.read('docs/webhooks.md');
const http = MarkdownDoc.read('docs/http-api.md');

describe('docs/webhooks.md against a real engine', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    // Five task attempts and ten compensation attempts, as the examples show, with short waits.
    engine = await startTestEngine({
      taskMaxAttempts: 5,
      taskBackoffMs: 1,
      taskBackoffCapMs: 5,
      compensationMaxAttempts: 10,
      compensationBackoffMs: 1,
      compensationBackoffCapMs: 5,
      compensationAttemptTimeoutMs: 30,
      webhookRetrySchedule: '0s,50ms,50ms',
    });
  });
  afterAll(() => engine.dispose());

  /** The docs' refund orchestration, submitted in a project. */
  async function submit(api: Api, placeholders: Record<string, string>): Promise<string> {
    const body = fillPlaceholders(http.section('`POST /orchestrations`').blocks[0]!.text, placeholders);
    const res = await api.request('POST', '/orchestrations', undefined, body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id;
  }

  describe('the receiver example', () => {
    let dir = '';
    let child: ChildProcess | undefined;
    let stdout = '';

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'orra-doc-receiver-'));
    });
    afterAll(() => {
      child?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    it('type-checks as the complete program it claims to be', () => {
      const source = doc.section('A receiver').blocks.find((b) => b.lang === 'ts')!.text;
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      writeFileSync(join(dir, 'receiver.ts'), source);
      // As after `npm install standardwebhooks` in a project of its own: the repository's node_modules.
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      const program = ts.createProgram([join(dir, 'receiver.ts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ['node'],
        skipLibCheck: true,
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(problems).toEqual([]);
    });

    it('verifies real deliveries, answers each event once, and refuses forged, unsigned and stale requests', async () => {
      const { api } = await newProject(engine.url, 'receiver');
      const services = await startRefundServices({ orraUrl: engine.url, apiKey: api.apiKey! });
      try {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}/hooks/orra`;
        const endpoint = (await api.post('/webhooks', { url })).body as { id: string; secret: string };
        const source = doc.section('A receiver').blocks.find((b) => b.lang === 'ts')!.text;
        expect(source).toContain('.listen(3000)');
        const js = ts.transpileModule(source.replace('.listen(3000)', `.listen(${port})`), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        writeFileSync(join(dir, 'receiver.js'), js);
        child = spawn(process.execPath, [join(dir, 'receiver.js')], {
          env: { ...process.env, ORRA_WEBHOOK_SECRET: endpoint.secret },
        });
        child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        const post = (headers: Record<string, string>, body: string) =>
          fetch(url, { method: 'POST', headers, body });
        // Unsigned: refused (this also waits for the receiver to listen).
        const unsigned = await waitFor(
          () => post({ 'content-type': 'application/json' }, '{}').then((r) => r.status),
          { what: 'the receiver' },
        );
        expect(unsigned).toBe(401);

        // A real test delivery from the engine.
        const test = await api.post(`/webhooks/${endpoint.id}/test`);
        expect(test.body).toMatchObject({ succeeded: true, httpStatus: 204 });
        await waitFor(() => stdout.includes(`webhook.test ${test.body.eventId}`), {
          what: 'the test event printed',
        });

        // A real orchestration.completed, delivered once by the engine, then redelivered: printed once.
        const orchestrationId = await submit(api, services.placeholders);
        const delivery = await waitFor(
          async () => {
            const list = await api.get(
              `/webhooks/deliveries?endpoint=${endpoint.id}&type=orchestration.completed&status=succeeded`,
            );
            return list.body.deliveries[0];
          },
          { what: 'the completed event delivered' },
        );
        expect(delivery).toMatchObject({
          eventId: expect.stringMatching(new RegExp(`^${orchestrationId}-completed-`)),
          lastHttpStatus: 204,
        });
        // After a secret rotation requests carry two signatures; the receiver still has the old secret.
        expect((await api.post(`/webhooks/${endpoint.id}/rotate-secret`)).status).toBe(200);
        expect((await api.post(`/webhooks/events/${delivery.eventId}/redeliver`)).body).toEqual({
          requeued: 1,
        });
        await waitFor(
          async () => {
            const event = await api.get(`/webhooks/events/${delivery.eventId}`);
            return (
              event.body.deliveries[0].attemptLog.length === 2 &&
              event.body.deliveries[0].status === 'succeeded'
            );
          },
          { what: 'the redelivery answered 2xx' },
        );
        expect(
          stdout.split('\n').filter((l) => l === `orchestration.completed ${delivery.eventId}`),
        ).toHaveLength(1);

        // Hand-made requests: signed with the right secret and now → 204; wrong secret or 10 minutes old → 401.
        const body = JSON.stringify({ event_id: 'evt_hand_made', type: 'orchestration.completed' });
        const now = Math.floor(Date.now() / 1000);
        const signed = (secret: string, ts: number) => ({
          'content-type': 'application/json',
          'webhook-id': 'evt_hand_made',
          'webhook-timestamp': String(ts),
          'webhook-signature': signatureHeader([secret], 'evt_hand_made', ts, body),
        });
        expect(
          (await post(signed('whsec_' + Buffer.alloc(32, 7).toString('base64'), now), body)).status,
        ).toBe(401);
        expect((await post(signed(endpoint.secret, now - 600), body)).status).toBe(401);
        expect((await post(signed(endpoint.secret, now), body)).status).toBe(204);
        await waitFor(() => stdout.includes('orchestration.completed evt_hand_made'), {
          what: 'the hand-made event printed',
        });
      } finally {
        await services.close();
      }
    });
  });

  describe('events and requests', () => {
    const received = new WebhookReceiver();
    let secret = '';
    const ofType = (type: string) => received.received.filter((r) => r.json?.type === type);
    const eventExample = (type: string) =>
      parseDocJson(doc.section(`\`${type}\``).blocks[0]!.text) as Record<string, unknown>;

    /** Top-level and nested object keys must be exactly the documented ones (free-form payloads aside). */
    function keyDifferences(
      example: unknown,
      actual: unknown,
      freeForm: readonly string[],
      path = '',
    ): string[] {
      if (
        example === null ||
        typeof example !== 'object' ||
        Array.isArray(example) ||
        freeForm.includes(path)
      )
        return [];
      const want = Object.keys(example).sort();
      const got = actual !== null && typeof actual === 'object' ? Object.keys(actual).sort() : [];
      const diff =
        JSON.stringify(want) === JSON.stringify(got)
          ? []
          : [`${path || '(root)'}: documented ${want.join(',')}; sent ${got.join(',')}`];
      return diff.concat(
        want.flatMap((k) =>
          keyDifferences((example as any)[k], (actual as any)?.[k], freeForm, path ? `${path}.${k}` : k),
        ),
      );
    }

    beforeAll(async () => {
      await received.listen();
      // One project whose orchestrations complete or are aborted; one where they fail and undoing fails.
      const ok = await newProject(engine.url, 'events-ok');
      const bad = await newProject(engine.url, 'events-bad');
      const okServices = await startRefundServices({ orraUrl: engine.url, apiKey: ok.apiKey });
      const badServices = await startRefundServices({
        orraUrl: engine.url,
        apiKey: bad.apiKey,
        notify: 'fail',
        revert: 'hang',
      });
      secret = (await ok.api.post('/webhooks', { url: received.url })).body.secret;
      for (const path of ['/webhooks', '/compensation-failure-webhooks'])
        await bad.api.post(path, { url: received.url });
      const testEndpoint = (await ok.api.post('/compensation-failure-webhooks', { url: received.url })).body
        .id;
      await submit(ok.api, okServices.placeholders);
      okServices.hold();
      const aborted = await submit(ok.api, okServices.placeholders);
      await waitFor(
        async () => (await ok.api.get(`/orchestrations/${aborted}`)).body.status === 'processing',
        { what: 'processing' },
      );
      await ok.api.post(`/orchestrations/${aborted}/abort`, { reason: 'out of stock' });
      await submit(bad.api, badServices.placeholders);
      await ok.api.post(`/webhooks/${testEndpoint}/test`);
      await waitFor(
        () =>
          [
            'orchestration.completed',
            'orchestration.aborted',
            'orchestration.failed',
            'compensation.failed',
            'webhook.test',
          ].every((t) => ofType(t).length > 0),
        {
          what: 'one event of each type',
          timeoutMs: 20_000,
        },
      );
      await okServices.close();
      await badServices.close();
    });
    afterAll(() => received.close());

    it('orchestration.completed has exactly the documented fields', () => {
      const [hook] = ofType('orchestration.completed');
      expect(keyDifferences(eventExample('orchestration.completed'), hook!.json, ['results'])).toEqual([]);
      expect(
        shapeMismatches(eventExample('orchestration.completed'), hook!.json, {
          varying: ['results[0].refundId', 'results[0].amount'],
        }),
      ).toEqual(['results[0].refundId: documented but missing', 'results[0].amount: documented but missing']);
      expect(hook!.json.results).toEqual([{ sent: true }]); // the sink task's output
    });

    it('orchestration.failed has exactly the documented fields and values', () => {
      const [hook] = ofType('orchestration.failed');
      expect(keyDifferences(eventExample('orchestration.failed'), hook!.json, [])).toEqual([]);
      expect(shapeMismatches(eventExample('orchestration.failed'), hook!.json)).toEqual([]);
    });

    it('orchestration.aborted has exactly the documented fields', () => {
      const [hook] = ofType('orchestration.aborted');
      expect(keyDifferences(eventExample('orchestration.aborted'), hook!.json, ['abort_reason'])).toEqual([]);
      expect(hook!.json.abort_reason).toEqual({ reason: 'out of stock', abortedBy: 'operator' });
    });

    it('compensation.failed has exactly the documented fields and values', () => {
      const [hook] = ofType('compensation.failed');
      const example = eventExample('compensation.failed');
      expect(
        keyDifferences(example, hook!.json, [
          'compensation_data.data.originalTask',
          'compensation_data.data.taskResult',
        ]),
      ).toEqual([]);
      expect(
        shapeMismatches(example, hook!.json, { varying: ['service_id', 'compensation_data.ttl'] }),
      ).toEqual([]);
      expect(hook!.json.service_id).toMatch(/^s_[a-z]{28}$/); // the documented id's form
      expect(hook!.json.event_id).toBe(
        `${hook!.json.compensation_id}-failed-${Date.parse(hook!.json.timestamp) / 1000}`,
      );
    });

    it('webhook.test has exactly the documented fields', () => {
      const inline = /`(\{"event_id":"test_…"[^`]*\})`/.exec(doc.section('`webhook.test`').body)![1]!;
      const [hook] = ofType('webhook.test');
      expect(keyDifferences(parseDocJson(inline), hook!.json, [])).toEqual([]);
    });

    it('every event: an event_id of the documented form and a timestamp to the second', () => {
      for (const { json } of received.received) {
        expect(json.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        if (json.orchestration_id && json.type.startsWith('orchestration.')) {
          expect(json.event_id).toBe(
            `${json.orchestration_id}-${json.status}-${Date.parse(json.timestamp) / 1000}`,
          );
        }
      }
    });

    it('requests carry the documented headers, and the signature follows the documented recipe', () => {
      const rows = [...doc.section('Requests', 2).body.matchAll(/^\| `([^`]+)` \| (.*) \|$/gm)];
      expect(rows.map((r) => r[1])).toEqual([
        'Content-Type',
        'User-Agent',
        'X-Orra-Event',
        'webhook-id',
        'webhook-timestamp',
        'webhook-signature',
        'X-Orra-Sequence',
      ]);
      const hook = ofType('orchestration.completed')[0] as ReceivedWebhook;
      for (const [, name, value] of rows) {
        const sent = hook.headers[name!.toLowerCase()];
        expect(sent, name).toBeDefined();
        const literal = /^`([^`<]+)`$/.exec(value!.trim());
        if (literal) expect(sent, name).toBe(literal[1]);
      }
      expect(hook.headers['x-orra-event']).toBe('orchestration.completed');
      expect(hook.headers['webhook-id']).toBe(hook.json.event_id);
      expect(hook.headers['x-orra-sequence']).toMatch(/^\d{20}$/);
      expect(Math.abs(Number(hook.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      // "HMAC-SHA256 over <webhook-id>.<webhook-timestamp>.<body>, keyed with the base64-decoded part of
      // the secret after whsec_, base64-encoded and prefixed with v1,"
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const mac = createHmac('sha256', key)
        .update(`${hook.headers['webhook-id']}.${hook.headers['webhook-timestamp']}.${hook.body}`)
        .digest('base64');
      expect(hook.headers['webhook-signature']).toBe(`v1,${mac}`);
    });
  });
});
