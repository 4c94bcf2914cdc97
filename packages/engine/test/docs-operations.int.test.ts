import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Api, newProject } from './helpers/api.js';
import { fillPlaceholders, parseDocJson, shapeMismatches } from './helpers/doc-json.js';
import { MarkdownDoc } from './helpers/markdown-doc.js';
import { startRefundServices } from './helpers/refund-services.js';
import { isPostgresRun } from './helpers/test-database.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * docs/operations.md against a real engine: the Prometheus scrape config reaches `/metrics` the way it
 * says, every series the alert rules select exists in the engine's `/metrics` output (names, label names
 * and label values, after the engine has produced each kind of event), and the SQLite backup command
 * makes a copy a new engine starts on. Also the failed-compensation record of docs/compensation.md, the
 * thing the pending-compensation alert watches.
 */
const doc = MarkdownDoc.read('docs/operations.md');
const http = MarkdownDoc.read('docs/http-api.md');
const METRICS_TOKEN = 'a-metrics-token-for-the-docs-test';

/** Series Prometheus makes itself rather than scraping them. */
const PROMETHEUS_SERIES = new Set(['up']);
const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
]);

interface Selector {
  metric: string;
  matchers: { label: string; op: string; value: string }[];
}

/** The series selectors of a PromQL expression: metric names (not functions or keywords) and their label matchers. */
function promqlSelectors(expr: string): Selector[] {
  const text = expr
    .replace(/\[[^\]]*\]/g, ' ') // range selectors: [15m]
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // grouping label lists
  const out: Selector[] = [];
  const token = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?|"(?:[^"\\]|\\.)*"|\{[^}]*\}/g;
  for (const m of text.matchAll(token)) {
    const [, name, braces, call] = m;
    if (!name || call || PROMQL_WORDS.has(name)) continue;
    const matchers = [...(braces ?? '').matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map(
      ([, label, op, value]) => ({
        label: label!,
        op: op!,
        value: value!,
      }),
    );
    out.push({ metric: name, matchers });
  }
  return out;
}

/** The samples of a Prometheus text exposition: `name{labels} value` lines as name and label map. */
function samples(exposition: string): { name: string; labels: Record<string, string> }[] {
  return exposition
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /.exec(l)!;
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k!, v!]),
      );
      return { name: m[1]!, labels };
    });
}

function yamlBlock(key: string): any {
  const found = doc
    .blocks('yaml')
    .map((b) => parseYaml(b.text))
    .filter((y) => y && typeof y === 'object' && key in y);
  expect(found, `one yaml block with ${key} in docs/operations.md`).toHaveLength(1);
  return found[0];
}

describe('docs/operations.md against a real engine', () => {
  let engine: TestEngine;
  let bad: { api: Api; apiKey: string };
  let ok: { api: Api; apiKey: string };
  const receivers = { ok: new WebhookReceiver(), failing: new WebhookReceiver(), tripping: new WebhookReceiver() };
  let metricsText = '';

  const scrape = async (token?: string) => {
    const res = await fetch(
      `${engine.url}/metrics`,
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    );
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    engine = await startTestEngine({
      metricsToken: METRICS_TOKEN,
      taskMaxAttempts: 1,
      compensationMaxAttempts: 10,
      compensationBackoffMs: 1,
      compensationBackoffCapMs: 5,
      // The failing project's one event uses up its schedule in a second; the retry is far enough out
      // that the trip project's first event is never retried before its breaker trips.
      webhookRetrySchedule: '0s,1s',
      // Two failures over two events trip a breaker, so the trip project below shows a transition.
      webhookBreakerFailures: 2,
    });
    receivers.failing.reply = () => ({ status: 500, body: 'down' });
    // The tripping receiver holds the first request until the second arrives and fails both at once, so
    // the breaker trips on two events' first attempts and neither event ends failed. (Answered at once, a
    // loaded machine could finish the two orchestrations more than a retry apart: the first event then
    // used up its schedule and counted as a second failed delivery.)
    let releaseFirst: (() => void) | undefined;
    const bothArrived = new Promise<void>((resolve) => (releaseFirst = resolve));
    receivers.tripping.reply = async (_hook, n) => {
      if (n === 1) await bothArrived;
      else releaseFirst!();
      return { status: 503, body: 'down' };
    };
    await Promise.all([receivers.ok.listen(), receivers.failing.listen(), receivers.tripping.listen()]);
    // Every kind of event the alert rules count: a completed orchestration delivered to a receiver that
    // answers 200, and a failed one whose undo fails for good, delivered to one that answers 500 until
    // its delivery fails.
    ok = await newProject(engine.url, 'ops-ok');
    bad = await newProject(engine.url, 'ops-bad');
    await ok.api.post('/webhooks', { url: receivers.ok.url });
    await bad.api.post('/webhooks', { url: receivers.failing.url });
    const okServices = await startRefundServices({ orraUrl: engine.url, apiKey: ok.apiKey });
    const badServices = await startRefundServices({
      orraUrl: engine.url,
      apiKey: bad.apiKey,
      notify: 'fail',
      revert: 'fail',
    });
    const body = http.section('`POST /orchestrations`').blocks[0]!.text;
    expect(
      (
        await ok.api.request(
          'POST',
          '/orchestrations',
          undefined,
          fillPlaceholders(body, okServices.placeholders),
        )
      ).status,
    ).toBe(202);
    expect(
      (
        await bad.api.request(
          'POST',
          '/orchestrations',
          undefined,
          fillPlaceholders(body, badServices.placeholders),
        )
      ).status,
    ).toBe(202);
    // An endpoint that is down gets two events at once: its breaker trips (active → failing), holding both.
    const trip = await newProject(engine.url, 'ops-trip');
    await trip.api.post('/webhooks', { url: receivers.tripping.url });
    const tripServices = await startRefundServices({ orraUrl: engine.url, apiKey: trip.apiKey });
    const tripBody = fillPlaceholders(body, tripServices.placeholders);
    const posted = await Promise.all([1, 2].map(() => trip.api.request('POST', '/orchestrations', undefined, tripBody)));
    expect(posted.map((r) => r.status)).toEqual([202, 202]);
    // What is still missing at the last scrape, so that a timeout says which of the four never came.
    let missing: string[] = [];
    metricsText = await waitFor(
      async () => {
        const { text } = await scrape(METRICS_TOKEN);
        missing = [
          /^orra_compensation_failures_pending 1$/m,
          /^orra_webhook_deliveries_total\{outcome="failed"\} 1$/m,
          /^orra_webhook_delivery_latency_seconds_count [1-9]/m,
          /^orra_webhook_endpoint_transitions_total\{from="active",to="failing"\} 1$/m,
        ]
          .filter((re) => !re.test(text))
          .map(String);
        return missing.length === 0 ? text : undefined;
      },
      { what: 'a pending failed compensation and a failed delivery in /metrics', timeoutMs: 20_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; still missing: ${missing.join(', ')}`);
    });
    await tripServices.close();
    await okServices.close();
    await badServices.close();
  });
  afterAll(async () => {
    await Promise.all([receivers.ok.close(), receivers.failing.close(), receivers.tripping.close()]);
    await engine.dispose();
  });

  it('the scrape config reaches /metrics with the documented bearer token', async () => {
    const config = yamlBlock('scrape_configs');
    const [job] = config.scrape_configs;
    expect(job).toMatchObject({
      job_name: 'orra-engine',
      metrics_path: '/metrics',
      authorization: { type: 'Bearer' },
    });
    expect(job.static_configs[0].targets[0]).toMatch(/^[\w.-]+:8005$/); // the engine's default port
    expect(job.authorization.credentials_file).toEqual(expect.any(String));
    const url = new URL(job.metrics_path, engine.url).href;
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, {
      headers: { authorization: `${job.authorization.type} ${METRICS_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('every alert rule is complete and selects only series the engine exposes, with labels and values it uses', () => {
    const rules = yamlBlock('groups').groups.flatMap((g: { rules: unknown[] }) => g.rules) as Record<
      string,
      any
    >[];
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'OrraOrchestrationsFailing',
        'OrraCompensationFailed',
        'OrraCompensationFailuresPending',
        'OrraWebhookDeliveriesFailed',
        'OrraWebhookAttemptsFailing',
        'OrraWebhookDeliveriesLagging',
      ]),
    );
    const exposed = samples(metricsText);
    const families = new Set([...metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!));
    const jobName = yamlBlock('scrape_configs').scrape_configs[0].job_name;
    const problems: string[] = [];
    for (const rule of rules) {
      expect(rule, rule.alert).toMatchObject({
        alert: expect.any(String),
        expr: expect.any(String),
        labels: { severity: expect.stringMatching(/^(critical|warning)$/) },
      });
      expect(rule.annotations?.summary, rule.alert).toEqual(expect.any(String));
      if (rule.for !== undefined) expect(rule.for, rule.alert).toMatch(/^\d+[smhd]$/);
      const selectors = promqlSelectors(rule.expr);
      expect(selectors.length, rule.alert).toBeGreaterThan(0);
      for (const { metric, matchers } of selectors) {
        if (PROMETHEUS_SERIES.has(metric)) {
          // `up` is per scrape job: the job must be the scrape config's.
          for (const m of matchers)
            if (m.label === 'job' && m.value !== jobName)
              problems.push(`${rule.alert}: job "${m.value}" is not scraped`);
          continue;
        }
        const family = metric.replace(/_(bucket|sum|count)$/, '');
        if (!families.has(metric) && !families.has(family)) {
          problems.push(`${rule.alert}: ${metric} is not in /metrics`);
          continue;
        }
        const series = exposed.filter((s) => s.name === metric);
        if (series.length === 0)
          problems.push(`${rule.alert}: ${metric} has no samples after every kind of event`);
        for (const m of matchers) {
          if (!series.some((s) => m.label in s.labels))
            problems.push(`${rule.alert}: ${metric} has no label ${m.label}`);
          else if (m.op === '=' && !series.some((s) => s.labels[m.label] === m.value)) {
            problems.push(`${rule.alert}: ${metric}{${m.label}="${m.value}"} never appears`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the selector reader finds metric names and matchers, and not functions or grouping labels', () => {
    expect(
      promqlSelectors(
        'sum by (le) (rate(orra_x_bucket{result!="success", a="b"}[5m])) / sum(up{job="j"}) > 0.5',
      ),
    ).toEqual([
      {
        metric: 'orra_x_bucket',
        matchers: [
          { label: 'result', op: '!=', value: 'success' },
          { label: 'a', op: '=', value: 'b' },
        ],
      },
      { metric: 'up', matchers: [{ label: 'job', op: '=', value: 'j' }] },
    ]);
  });

  it('the pending gauge the alert watches: 1 while the failed compensation waits, 0 once resolved', async () => {
    const [record] = (await bad.api.get('/compensation-failures?resolution=pending')).body;
    expect(record).toBeDefined();
    // The record as docs/compensation.md shows it.
    const example = parseDocJson(
      MarkdownDoc.read('docs/compensation.md').section('Failed compensations', 2).blocks[0]!.text,
    );
    expect(shapeMismatches(example, record, { varying: ['compensationData.ttl'] })).toEqual([]);
    const resolved = await bad.api.post(`/compensation-failures/${record.id}/resolve`, {
      reason: 'refunded by hand',
    });
    expect(resolved.body).toMatchObject({ resolutionState: 'resolved', resolvedAt: expect.any(String) });
    expect((await scrape(METRICS_TOKEN)).text).toMatch(/^orra_compensation_failures_pending 0$/m);
  });

  it.skipIf(isPostgresRun)(
    'the SQLite backup command copies a running engine into a file another engine starts on',
    async () => {
      const section = doc.section('SQLite (the default)');
      const [backupLine, checkLine] = section.blocks[0]!.text.split('\n');
      const vacuum = /^sqlite3 ~\/\.orra\/engine\.db "(VACUUM INTO '[^']+')"$/.exec(backupLine!);
      const check = /^sqlite3 \S+ '(PRAGMA integrity_check)'\s+# prints: (\w+)$/.exec(checkLine!);
      expect(vacuum, backupLine).not.toBeNull();
      expect(check, checkLine).not.toBeNull();
      const dir = mkdtempSync(join(tmpdir(), 'orra-backup-'));
      try {
        const target = join(dir, 'backup.db');
        // The engine keeps writing meanwhile: an orchestration in flight.
        const services = await startRefundServices({ orraUrl: engine.url, apiKey: ok.apiKey });
        services.hold();
        const body = fillPlaceholders(
          http.section('`POST /orchestrations`').blocks[0]!.text,
          services.placeholders,
        );
        const inFlight = (await ok.api.request('POST', '/orchestrations', undefined, body)).body.id as string;
        const live = new Database(join(engine.dataDir, 'engine.db'));
        try {
          live.exec(vacuum![1]!.replace(/'[^']+'/, `'${target}'`));
        } finally {
          live.close();
        }
        services.release();
        await services.close();
        const copy = new Database(target, { readonly: true });
        expect(copy.pragma('integrity_check', { simple: true })).toBe(check![2]);
        copy.close();
        // Restore: the copy as engine.db of a fresh data dir; a new engine serves the same project and work.
        const restoredDir = join(dir, 'restored');
        mkdirSync(restoredDir);
        copyFileSync(target, join(restoredDir, 'engine.db'));
        const restored = await startTestEngine({}, restoredDir);
        try {
          const list = await new Api(restored.url, ok.apiKey).get('/orchestrations');
          expect(list.status).toBe(200);
          expect(list.body.completed).toHaveLength(1);
          expect(
            [...(list.body.pending ?? []), ...(list.body.processing ?? [])].map((o: { id: string }) => o.id),
          ).toEqual([inFlight]);
        } finally {
          await restored.dispose();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
