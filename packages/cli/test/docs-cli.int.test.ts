import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initService } from '@orra/sdk';
import { Api } from '../../engine/test/helpers/api.js';
import { parseDocJson, shapeMismatches } from '../../engine/test/helpers/doc-json.js';
import { freePort } from '../../engine/test/helpers/engine-process.js';
import { MarkdownDoc, REPO_ROOT, type CodeBlock } from '../../engine/test/helpers/markdown-doc.js';
import { startTestEngine, type TestEngine } from '../../engine/test/helpers/test-engine.js';
import { waitFor } from '../../engine/test/helpers/wait-for.js';
import { WebhookReceiver } from '../../engine/test/helpers/webhook-receiver.js';
import { CLI_PATH, CliHome, testHome, type CliResult } from './helpers/cli.js';
import { Bindings, transcriptSteps } from './helpers/transcript.js';

/**
 * docs/cli.md run with the built `orra` binary against a real engine: every `$ orra …` transcript of
 * the document is run as written (its example ids, URLs and paths standing for real ones, see
 * helpers/transcript.ts) in the situation the document describes, and must print what the document
 * shows; the error examples, the config file example and the `--plan` example likewise.
 *
 * The document's sections are separate stories that reuse example ids (the orchestration `abort`
 * aborts is the one `verify run` created, which has completed by then), so each section runs in a
 * project of its own, named `my-app` as in the document, and a step whose example id stands for
 * another item than before says so with an override.
 */
const doc = MarkdownDoc.read('docs/cli.md');

/** The code block of the level-3 section whose heading contains `heading`. */
function block(heading: string, index = 0): CodeBlock {
  const found = doc.section(heading).blocks[index];
  if (!found) throw new Error(`docs/cli.md: no code block #${index} under "${heading}"`);
  return found;
}

/** The e-commerce flow of the document: a revertible inventory hold, then a delivery estimate. */
const SHIPPING_SPEC = {
  name: 'shipping',
  domain: 'e-commerce',
  version: '1.0',
  useCases: [
    {
      action: 'Ship order {orderId}',
      params: { orderId: 'ORD123' },
      capabilities: ['Hold the stock of the items of the order', 'Estimate the delivery date of the order'],
      intent: 'Customer wants the order sent',
    },
  ],
};

/** The grounding spec file the Grounding specs transcript applies (not shown in the document). */
const CUSTOMER_SUPPORT_YAML = `name: customer-support
domain: e-commerce
version: "1.0"
use-cases:
  - action: Ship order {orderId}
    params:
      orderId: ORD123
    capabilities:
      - Hold the stock of the items of the order
      - Estimate the delivery date of the order
    intent: Customer wants the order sent
  - action: Estimate delivery date for order {orderId}
    params:
      orderId: ORD123
    capabilities:
      - Estimate the delivery date of the order
    intent: Customer wants to know when the order arrives
`;

/** A project named `my-app` in a CLI home of its own, with the document's services when asked. */
class Shop {
  readonly home = new CliHome();
  readonly bindings: Bindings;
  apiKey = '';
  projectId = '';
  api!: Api;
  /** The inventory's undo fails while this is set. */
  isWarehouseDown = true;
  /** Deliveries fail for these orders, and wait for `release` for the held ones. */
  readonly failing = new Set(['ORD2', 'ORD4', 'ORD5', 'ORD6']);
  readonly held = new Set<string>();
  private releaseHeld: () => void = () => undefined;
  private readonly services: { shutdown(): unknown }[] = [];

  constructor(readonly engine: TestEngine) {
    this.bindings = new Bindings({ 'http://localhost:8005': engine.url });
  }

  /** `orra projects add my-app` (unless a transcript does it) and the project's key. */
  async open({ isAdded = false } = {}): Promise<this> {
    if (!isAdded) await this.expectOk(['projects', 'add', 'my-app', '--server', this.engine.url]);
    const project = this.config().projects['my-app'];
    this.apiKey = project.cli_auth;
    this.projectId = project.id;
    this.api = new Api(this.engine.url, this.apiKey);
    return this;
  }

  /** The inventory and delivery services, and a grounding spec that plans "Ship order …" onto them. */
  async withServices(): Promise<this> {
    let released!: () => void;
    let gate = new Promise<void>((r) => (released = r));
    this.releaseHeld = () => {
      released();
      gate = new Promise<void>((r) => (released = r));
    };
    this.services.push(
      await this.service(
        'inventory',
        'Holds the stock of the items of an order',
        {
          input: {
            type: 'object',
            properties: {
              orderId: { type: 'string' },
              items: {
                type: 'array',
                items: { type: 'object', properties: { id: { type: 'string' }, qty: { type: 'number' } } },
              },
              tags: { type: 'array', items: { type: 'string' } },
            },
            required: ['orderId'],
          },
          output: { type: 'object', properties: { holdId: { type: 'string' } } },
        },
        async (input) => ({ holdId: `hold-${input.orderId}` }),
        true,
      ),
      await this.service(
        'delivery',
        'Estimates the delivery date of an order',
        {
          input: { type: 'object', properties: { orderId: { type: 'string' }, holdId: { type: 'string' } } },
          output: { type: 'object', properties: { eta: { type: 'string' } } },
        },
        async (input) => {
          if (this.held.has(input.orderId)) await gate;
          if (this.failing.has(input.orderId)) throw new Error('no courier available');
          return { eta: '2030-01-01' };
        },
      ),
    );
    expect((await this.api.post('/groundings', SHIPPING_SPEC)).status).toBe(201);
    return this;
  }

  private async service(
    name: string,
    description: string,
    schema: unknown,
    handler: (input: Record<string, any>) => Promise<unknown>,
    isRevertible = false,
  ) {
    let savedId: string | null = null;
    const svc = initService({
      name,
      orraUrl: this.engine.url,
      orraKey: this.apiKey,
      persistenceOpts: {
        method: 'custom',
        customSave: async (id) => void (savedId = id),
        customLoad: async () => savedId,
      },
    });
    await svc.register({ description, schema: schema as any, ...(isRevertible ? { revertible: true } : {}) });
    if (isRevertible)
      svc.onRevert(async () => {
        if (this.isWarehouseDown) throw new Error('warehouse API down');
      });
    svc.start(async (task) => handler(task.input));
    return svc;
  }

  release(): void {
    this.releaseHeld();
  }

  config(): any {
    return JSON.parse(readFileSync(this.home.configPath, 'utf8'));
  }

  run(args: string[], cwd?: string): Promise<CliResult> {
    return this.home.run(args, {}, cwd);
  }

  async expectOk(args: string[]): Promise<CliResult> {
    const r = await this.run(args);
    if (r.code !== 0) throw new Error(`orra ${args.join(' ')} exited ${r.code}\n${r.stdout}${r.stderr}`);
    return r;
  }

  /** `orra verify run "Ship order ORDn"` and its orchestration id, once it has ended and been undone. */
  async shipOrder(orderId: string, { wait = true } = {}): Promise<string> {
    const { id } = JSON.parse(
      (await this.expectOk(['verify', 'run', `Ship order ${orderId}`, '-d', `orderId:${orderId}`, '--json']))
        .stdout,
    );
    if (wait)
      await waitFor(
        async () => {
          const view = (await this.api.get(`/orchestrations/inspections/${id}`)).body;
          if (view.status === 'completed') return true;
          return (
            view.status === 'failed' &&
            ['completed', 'failed'].includes(view.tasks?.[0]?.compensation?.status)
          );
        },
        { what: `${orderId} to end`, timeoutMs: 20_000 },
      );
    return id;
  }

  /** A failed orchestration whose undo failed for good: its pending compensation failure's id. */
  async failedCompensation(orderId: string): Promise<{ orchestrationId: string; id: string }> {
    const orchestrationId = await this.shipOrder(orderId);
    const [record] = (await this.api.get(`/compensation-failures?orchestration=${orchestrationId}`)).body;
    expect(record, `a failed compensation for ${orderId}`).toBeDefined();
    return { orchestrationId, id: record.id };
  }

  /**
   * Runs the transcript of a code block: each step with the shop's bindings (plus the step's
   * overrides), after its `before` hook; each must exit 0 and print the documented lines.
   */
  async transcript(
    code: CodeBlock,
    options: {
      overrides?: Record<number, Record<string, string>>;
      before?: Record<number, () => Promise<unknown>>;
      cwd?: string;
    } = {},
  ): Promise<CliResult[]> {
    const results: CliResult[] = [];
    for (const [i, step] of transcriptSteps(code.text).entries()) {
      await options.before?.[i]?.();
      const bindings = options.overrides?.[i] ? this.bindings.with(options.overrides[i]) : this.bindings;
      const args = step.args.map((a) => bindings.fill(a));
      const r = await this.run(args, options.cwd);
      expect(r.code, `$ ${step.command} (line ${code.line})\n${r.stdout}${r.stderr}`).toBe(0);
      if (step.expected.some((l) => l.trim() !== ''))
        expect(bindings.mismatches(step.expected, r.stdout + r.stderr), `$ ${step.command}`).toEqual([]);
      // What the step learnt (ids printed for the first time) holds for the steps after it.
      for (const [k, v] of bindings.values) if (!options.overrides?.[i]?.[k]) this.bindings.set(k, v);
      results.push(r);
    }
    return results;
  }

  async dispose(): Promise<void> {
    this.release();
    for (const svc of this.services) await svc.shutdown();
    this.home.dispose();
  }
}

/**
 * Checks a step whose documented output holds progress notes: a terminal shows them among the output
 * lines, but they go to stderr, so stdout must be the other lines and stderr the notes.
 */
function expectNotesOnStderr(
  bindings: Bindings,
  expected: string[],
  printed: { stdout: string; stderr: string },
  isNote: (line: string) => boolean,
): void {
  const notes = expected.filter(isNote);
  expect(notes.length).toBeGreaterThan(0);
  expect(
    bindings.mismatches(
      expected.filter((l) => !isNote(l)),
      printed.stdout,
    ),
  ).toEqual([]);
  expect(bindings.mismatches(notes, printed.stderr)).toEqual([]);
}

const ENGINE_OVERRIDES = {
  taskMaxAttempts: 1,
  compensationMaxAttempts: 2,
  compensationBackoffMs: 10,
  compensationBackoffCapMs: 20,
  // Eight attempts, as the default schedule makes, in a fraction of a second.
  webhookRetrySchedule: '0s,10ms,10ms,10ms,10ms,10ms,10ms,10ms',
};

describe('docs/cli.md with the built orra binary against a real engine', () => {
  let engine: TestEngine;
  const receiver = new WebhookReceiver();
  const shops: Shop[] = [];
  const engines: TestEngine[] = [];
  // Each shop is a project named my-app, as in the document, and project names are unique per engine:
  // every shop after the first gets an engine of its own.
  const shop = async (options: { isAdded?: boolean; withServices?: boolean } = {}) => {
    const own = await startTestEngine(ENGINE_OVERRIDES);
    engines.push(own);
    const s = new Shop(own);
    shops.push(s);
    await s.open(options);
    return options.withServices ? s.withServices() : s;
  };

  beforeAll(async () => {
    engine = await startTestEngine(ENGINE_OVERRIDES);
    // The document's notifications endpoint fails on failed orchestrations and accepts the rest.
    receiver.reply = (hook) =>
      hook.path === '/orra-notifications' && hook.json?.type === 'orchestration.failed'
        ? { status: 500, body: 'down' }
        : { status: 200, body: '{"ok":true}' };
    await receiver.listen();
  });
  afterAll(async () => {
    for (const s of shops) await s.dispose();
    await receiver.close();
    for (const e of [engine, ...engines]) await e.dispose();
  });

  it('installing: the documented help command runs', () => {
    const commands = doc
      .blocks('sh')[0]!
      .text.split('\n')
      .map((l) => l.replace(/\s+#.*$/, ''));
    expect(commands).toContain('node packages/cli/dist/main.js --help');
    expect(CLI_PATH).toBe(join(REPO_ROOT, 'packages/cli/dist/main.js'));
    const help = spawnSync(process.execPath, ['packages/cli/dist/main.js', '--help'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: orra /);
  });

  describe('Projects and keys, and the config file', () => {
    let s: Shop;
    beforeAll(async () => {
      s = new Shop(engine);
      shops.push(s);
    });

    it('orra projects add', async () => {
      await s.transcript(block('`orra projects add NAME'));
      await s.open({ isAdded: true });
    });

    it('orra projects ls · orra projects use', async () => {
      await s.transcript(block('`orra projects ls`'), {
        before: { 1: () => s.expectOk(['projects', 'add', 'staging', '--server', engine.url]) },
      });
      await s.expectOk(['projects', 'use', 'my-app']);
    });

    it('orra api-keys gen', async () => {
      await s.transcript(block('`orra api-keys gen NAME`'));
    });

    it("the config file: orra's shape, written with mode 0600", async () => {
      const example = doc.section('The config file').blocks[0]!.text;
      const project = JSON.parse(example).projects['my-app'];
      for (const url of project.webhooks) await s.expectOk(['webhooks', 'add', url]);
      for (const url of project.compensation_failure_webhooks)
        await s.expectOk(['comp-fail', 'webhooks', 'add', url]);
      const filled = example.replace(project.id, s.projectId).replaceAll('http://localhost:8005', engine.url);
      expect(shapeMismatches(parseDocJson(filled), s.config())).toEqual([]);
      expect(statSync(s.home.configPath).mode & 0o777).toBe(0o600);
    });

    it('orra config reset: refused in a script without --yes, then done with it', async () => {
      s.bindings.set('/home/me/.orra/config.json', s.home.configPath);
      const refusal = /in a script without `--yes` it refuses with `([^`]+)`/.exec(
        doc.section('`orra config reset').body.replace(/\n/g, ' '),
      )![1]!;
      const before = readFileSync(s.home.configPath, 'utf8');
      const refused = await s.run(['config', 'reset']);
      expect(refused.code).toBe(2);
      expect(s.bindings.mismatches([refusal], refused.stderr)).toEqual([]);
      expect(readFileSync(s.home.configPath, 'utf8')).toBe(before);
      const [step] = transcriptSteps(block('`orra config reset').text);
      const r = await s.run(step!.args.map((a) => s.bindings.fill(a)));
      expect(r.code).toBe(0);
      expectNotesOnStderr(s.bindings, step!.expected, r, (line) => line.startsWith('Forgetting '));
      expect(s.config()).toEqual({});
    });
  });

  it('the error examples: one line, what went wrong and what to do, exit 1 (2 for usage errors)', async () => {
    const lines = doc
      .section('Global behaviour', 2)
      .blocks.find((b) => b.text.startsWith('Error:'))!
      .text.split('\n');
    expect(lines).toHaveLength(4);
    const s = await shop();
    const closed = `http://127.0.0.1:${await freePort()}`;
    const elsewhere = testHome();
    writeFileSync(
      elsewhere.configPath,
      JSON.stringify({
        current_project: 'dev',
        projects: { dev: { id: 'p_x', cli_auth: 'sk-orra-v1-x', server_addr: closed } },
      }),
    );
    const cases: [string, () => Promise<CliResult>, number, Record<string, string>][] = [
      [lines[0]!, () => elsewhere.run(['ps']), 1, { 'http://localhost:8005': closed }],
      [
        lines[1]!,
        () => elsewhere.run(['ps', '-p', 'prod']),
        1,
        { '/home/me/.orra/config.json': elsewhere.configPath },
      ],
      [
        lines[2]!,
        () => s.run(['inspect', 'o_MdB26xtW9PpbRDbZiqvPTg']),
        1,
        { o_MdB26xtW9PpbRDbZiqvPTg: 'o_MdB26xtW9PpbRDbZiqvPTg' },
      ],
      [lines[3]!, () => s.run(['comp-fail', 'resolve', 'c_vo9SxiPXv3JUEeokVwCq6B']), 2, {}],
    ];
    for (const [line, run, code, bind] of cases) {
      const r = await run();
      expect(r.code, line).toBe(code);
      expect(r.stdout, line).toBe('');
      expect(new Bindings(bind).mismatches([line], r.stderr), line).toEqual([]);
    }
  });

  describe('Services', () => {
    it('orra services ls · orra services inspect', async () => {
      const s = await shop({ withServices: true });
      await s.transcript(block('`orra services ls`'));
    });
  });

  describe('Webhooks', () => {
    let s: Shop;
    const notifications = () => `http://127.0.0.1:${receiver.port}/orra-notifications`;
    beforeAll(async () => {
      s = await shop({ withServices: true });
      s.bindings
        .set('https://example.com/orra-notifications', notifications())
        .set(
          'https://example.com/compensation-failures',
          `http://127.0.0.1:${receiver.port}/compensation-failures`,
        );
    });

    it('orra webhooks add · orra comp-fail webhooks add', async () => {
      await s.transcript(block('`orra webhooks add URL`'));
    });

    it('orra webhooks ls', async () => {
      await s.transcript(block('`orra webhooks ls [--show-secret]`'));
    });

    it('orra webhooks rm · orra webhooks test', async () => {
      // `rm` removes an endpoint added for it; `test` tries the one added above.
      const spareUrl = `http://127.0.0.1:${receiver.port}/spare`;
      const spare = JSON.parse((await s.expectOk(['webhooks', 'add', spareUrl, '--json'])).stdout);
      await s.transcript(block('`orra webhooks rm ID`'), {
        overrides: {
          0: { wh_WUFTW9AWG8b5Cjyw3T2bxp: spare.id, 'https://example.com/orra-notifications': spareUrl },
        },
      });
    });

    it('orra webhooks rotate-secret · orra webhooks recover', async () => {
      // On an endpoint added for it: the section's own endpoint keeps its secret and its failed delivery for the steps below.
      const spareUrl = `http://127.0.0.1:${receiver.port}/rotated`;
      const spare = JSON.parse((await s.expectOk(['webhooks', 'add', spareUrl, '--json'])).stdout);
      await s.transcript(block('`orra webhooks rotate-secret ID`'), {
        overrides: { 0: { wh_WUFTW9AWG8b5Cjyw3T2bxp: spare.id }, 1: { wh_WUFTW9AWG8b5Cjyw3T2bxp: spare.id } },
      });
      // Removed again, so the events below go to the section's endpoint alone.
      await s.expectOk(['webhooks', 'rm', spare.id]);
    });

    it('orra webhooks deliveries --status failed', async () => {
      const orchestrationId = await s.shipOrder('ORD2');
      s.bindings.set('o_Pqp3mdJka7kJLcncyhPFNA', orchestrationId);
      await waitFor(
        async () =>
          JSON.parse((await s.expectOk(['webhooks', 'deliveries', '--status', 'failed', '--json'])).stdout)
            .deliveries.length === 1,
        { what: 'the failed delivery', timeoutMs: 20_000 },
      );
      await s.transcript(block('`orra webhooks deliveries'));
    });

    it('orra webhooks inspect · orra webhooks redeliver', async () => {
      await s.transcript(block('`orra webhooks inspect EVENT_ID`'));
    });

    it('orra verify webhooks start', async () => {
      const port = await freePort();
      const code = block('`orra verify webhooks start URL');
      // The document shows a machine where localhost is 127.0.0.1 only; some have ::1 as well.
      const addresses = [...new Set((await lookup('localhost', { all: true })).map((a) => a.address))];
      const bindings = s.bindings.with({
        'http://localhost:8888/webhooks': `http://localhost:${port}/webhooks`,
        '8888': String(port),
        'at 127.0.0.1 (': `at ${addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(', ')} (`,
      });
      const [add, start] = transcriptSteps(code.text);
      expect((await s.run(add!.args.map((a) => bindings.fill(a)))).code).toBe(0);
      const listener = s.home.start(start!.args.map((a) => bindings.fill(a)));
      try {
        await listener.waitFor(/Listening for webhooks/, 'output');
        const id = await s.shipOrder('ORD1');
        expect((await s.api.get(`/orchestrations/${id}`)).body.status).toBe('completed');
        await listener.waitFor(/└─────/);
        expect(await listener.stop('SIGINT')).toBe(0);
        // `^C` is the terminal echoing Ctrl-C, not output.
        const expected = start!.expected.map((l) => l.replace(/^\^C/, ''));
        expect(bindings.mismatches(expected, listener.output)).toEqual([]);
      } finally {
        if (listener.child.exitCode === null) await listener.stop('SIGTERM');
      }
    });
    it('orra verify webhooks start --json: one line per event, with the documented fields', async () => {
      const fields = /`(\{"eventId"[^`]+\})`/.exec(
        doc.section('`orra verify webhooks start URL').body.replace(/\n/g, ' '),
      )![1]!;
      const keys = [...fields.matchAll(/"(\w+)"(?!\|)/g)]
        .map((m) => m[1])
        .filter((k) => !['valid', 'invalid', 'unchecked'].includes(k!));
      expect(keys).toEqual(['eventId', 'type', 'path', 'signature', 'body']);
      const url = `http://localhost:${await freePort()}/json-hooks`;
      await s.expectOk(['webhooks', 'add', url]);
      const listener = s.home.start(['verify', 'webhooks', 'start', url, '--json']);
      try {
        await listener.waitFor(/Listening for webhooks/, 'output');
        await s.shipOrder('ORD1');
        const [line] = await listener.waitFor(/^\{.*\}$/m);
        const event = JSON.parse(line);
        expect(Object.keys(event)).toEqual(keys);
        expect(event).toMatchObject({
          type: 'orchestration.completed',
          path: '/json-hooks',
          signature: 'valid',
        });
        expect(event.body.event_id).toBe(event.eventId);
      } finally {
        await listener.stop('SIGINT');
      }
    });
  });

  describe('Orchestrations', () => {
    let s: Shop;
    beforeAll(async () => {
      s = await shop({ withServices: true });
    });

    it('orra verify run', async () => {
      await s.transcript(block('`orra verify run ACTION'));
      const id = s.bindings.values.get('o_ZovLiyQP87TjpcGXwKxXhk')!;
      await waitFor(async () => (await s.api.get(`/orchestrations/${id}`)).body.status === 'completed', {
        what: 'ORD1 to complete',
      });
      const view = (await s.api.get(`/orchestrations/inspections/${id}`)).body;
      // -d: JSON for `[…]`, a list for a comma, a string otherwise.
      expect(view.tasks[0].input).toEqual({
        orderId: 'ORD1',
        items: [{ id: 'P1', qty: 2 }],
        tags: ['gift', 'fragile'],
      });
    });

    it('orra ps', async () => {
      const failed = await s.shipOrder('ORD2');
      s.bindings.set('o_Pqp3mdJka7kJLcncyhPFNA', failed);
      await s.transcript(block('`orra ps [-w]'));
    });

    it('orra inspect -d', async () => {
      await s.transcript(block('`orra inspect ID'));
    });

    it('orra inspect --follow', async () => {
      s.held.add('ORD8');
      s.failing.add('ORD8');
      const id = await s.shipOrder('ORD8', { wait: false });
      await waitFor(
        async () =>
          (await s.api.get(`/orchestrations/inspections/${id}`)).body.tasks?.[1]?.status === 'processing',
        { what: 'the delivery of ORD8 to be processing' },
      );
      const [step] = transcriptSteps(block('`orra inspect ID', 1).text);
      const bindings = s.bindings.with({ o_Pqp3mdJka7kJLcncyhPFNA: id });
      const follow = s.home.start(step!.args.map((a) => bindings.fill(a)));
      await follow.waitFor(/^Following /m, 'stderr');
      s.release();
      expect(await follow.exited, follow.stderr).toBe(0);
      expectNotesOnStderr(bindings, step!.expected, follow, (line) => line.startsWith('Following '));
    });

    it('orra verify run --wait', async () => {
      const [step] = transcriptSteps(block('`orra verify run ACTION', 1).text);
      // A new orchestration: its id is bound afresh.
      const bindings = new Bindings({ 'http://localhost:8005': s.engine.url });
      const r = await s.run(step!.args.map((a) => bindings.fill(a)));
      expect(r.code, r.stderr).toBe(0);
      expectNotesOnStderr(bindings, step!.expected, r, (line) => line.startsWith('Waiting for the outcome'));
    });

    it('orra abort', async () => {
      s.held.add('ORD3');
      const processing = await s.shipOrder('ORD3', { wait: false });
      await waitFor(
        async () => (await s.api.get(`/orchestrations/${processing}`)).body.status === 'processing',
        {
          what: 'ORD3 to be processing',
        },
      );
      await s.transcript(block('`orra abort ID'), {
        overrides: { 0: { o_ZovLiyQP87TjpcGXwKxXhk: processing } },
      });
      s.release();
    });

    it('orra version', async () => {
      await s.transcript(block('`orra version`'));
    });

    it('orra verify run --plan with the documented plan', async () => {
      const section = doc.section('`orra verify run ACTION');
      const plan = /`(\{"tasks":[^`]+\})`/.exec(section.body.replace(/\n/g, ' '))![1]!.replace(/" /g, '"');
      const ord1 = s.bindings.values.get('o_ZovLiyQP87TjpcGXwKxXhk');
      const inventory = (await s.api.get(`/orchestrations/inspections/${ord1}`)).body.tasks[0].serviceId;
      const file = join(s.home.dir, 'plan.json');
      writeFileSync(file, plan.replace('s_…', inventory));
      const r = await s.expectOk([
        'verify',
        'run',
        'Hold order ORD7',
        '-d',
        'orderId:ORD7',
        '--plan',
        file,
        '--json',
      ]);
      const { id } = JSON.parse(r.stdout);
      await waitFor(async () => (await s.api.get(`/orchestrations/${id}`)).body.status === 'completed', {
        what: 'the explicit plan to run',
      });
      const created = (await s.api.get(`/orchestrations/${id}`)).body;
      expect(created).toMatchObject({ planner: 'explicit', results: [{ holdId: 'hold-ORD7' }] });
    });

    it('a planning failure is one line', async () => {
      const line = /A planning failure is one line, e\.g\. `([^`]+)`/.exec(doc.text.replace(/\n/g, ' '))![1]!;
      const r = await s.run(['verify', 'run', 'What is the weather in Paris?']);
      expect(r.code).toBe(1);
      expect(new Bindings().mismatches([line], r.stderr)).toEqual([]);
    });
  });

  describe('Failed compensations', () => {
    let s: Shop;
    beforeAll(async () => {
      s = await shop({ withServices: true });
      const { orchestrationId, id } = await s.failedCompensation('ORD2');
      s.bindings.set('o_Pqp3mdJka7kJLcncyhPFNA', orchestrationId).set('c_vo9SxiPXv3JUEeokVwCq6B', id);
    });

    it('orra comp-fail ls · ls --all', async () => {
      const id = s.bindings.values.get('c_vo9SxiPXv3JUEeokVwCq6B')!;
      await s.transcript(block('`orra comp-fail ls'), {
        before: {
          1: () =>
            s.api.post(`/compensation-failures/${id}/resolve`, { reason: 'Manually released the hold' }),
        },
      });
    });

    it('orra comp-fail inspect', async () => {
      await s.transcript(block('`orra comp-fail inspect ID`'));
    });

    it('orra comp-fail resolve · ignore', async () => {
      const [toResolve, toIgnore] = [await s.failedCompensation('ORD4'), await s.failedCompensation('ORD5')];
      await s.transcript(block('`orra comp-fail resolve ID'), {
        overrides: {
          0: { c_vo9SxiPXv3JUEeokVwCq6B: toResolve.id },
          1: { c_7HqL7Vx9PpbRDbZiqvPTgA: toIgnore.id },
        },
      });
      expect((await s.api.get(`/compensation-failures/${toIgnore.id}`)).body.resolutionState).toBe('ignored');
    });

    it('orra comp-fail retry', async () => {
      const pending = await s.failedCompensation('ORD6');
      s.isWarehouseDown = false;
      await s.transcript(block('`orra comp-fail retry ID`'), {
        overrides: { 0: { c_vo9SxiPXv3JUEeokVwCq6B: pending.id } },
      });
    });
  });

  it('Grounding specs: orra grounding apply · ls · rm', async () => {
    const s = await shop();
    writeFileSync(join(s.home.dir, 'customer-support.grounding.yaml'), CUSTOMER_SUPPORT_YAML);
    await s.transcript(block('`orra grounding apply -f FILE`'), { cwd: s.home.dir });
  });
});
