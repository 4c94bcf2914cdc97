import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngine } from '@orra/engine';
import { OrraClient } from '@orra/sdk';
import { DEMO_USAGE, parseDemoArgs, type DemoOptions } from './demo-options.js';
import { startEcommerceServices, type ServiceEvent } from './ecommerce-services.js';
import { SHOP_GROUNDING } from './grounding.js';
import { isColourWanted } from './terminal-colour.js';
import { WebhookReceiver, type ReceivedWebhook } from './webhook-receiver.js';

/**
 * `npm run demo`: the whole system in one command, offline, on the embedded SQLite default. Starts the
 * engine and the example shop services, wires signed webhooks to a verifying receiver, applies a
 * grounding spec and runs three actions in words through the planner: one that completes, one whose
 * delivery fails (inventory and payment are undone, newest first), and one whose refund fails (a
 * failed compensation an operator resolves with the `orra` CLI). `--keep` leaves it running to explore.
 * Whatever ends it (the end of the run, Ctrl-C, SIGTERM, a failure), everything it started is stopped
 * and its directory deleted, unless `--keep-files`.
 */
const CLI = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));
/** Not with --keep: the engine then stays up until Ctrl-C. */
const DEADLINE_MS = 60_000;
const out = (line = '') => process.stdout.write(`${line}\n`);
const isColour = isColourWanted(process.stdout, process.env);
const step = (text: string) => out(isColour ? `\n\x1b[1m${text}\x1b[0m` : `\n${text}`);
/** The CLI as a command the user can paste: relative to where they ran `npm run demo` (npm's INIT_CWD). */
const cliCommand = () => `node ${relative(process.env.INIT_CWD ?? process.cwd(), CLI)}`;

function describeEvent(e: ServiceEvent): string {
  switch (e.kind) {
    case 'task':
      return `  ${e.service.padEnd(10)} ${e.taskId}  ${JSON.stringify(e.input)} → ${JSON.stringify(e.output)}`;
    case 'task-failed':
      return `  ${e.service.padEnd(10)} ${e.taskId}  failed: ${e.error}`;
    case 'revert':
      return `  ${e.service.padEnd(10)} ${e.taskId}  undone (${e.reason})`;
    case 'revert-failed':
      return `  ${e.service.padEnd(10)} ${e.taskId}  undo failed: ${e.error}`;
  }
}

function describeWebhook(w: ReceivedWebhook): string {
  const b = w.body;
  const detail =
    w.type === 'orchestration.completed'
      ? `results ${JSON.stringify(b.results)}`
      : w.type === 'orchestration.failed'
        ? `error "${b.error?.error}"`
        : w.type === 'compensation.failed'
          ? `${b.service_name} ${b.task_id}: ${b.failure}`
          : '';
  return `  ⇐ webhook ${w.type}  ${detail}\n    event_id ${w.eventId} · signature valid`;
}

/** Runs the demo; `stops` collects what to stop when it ends, newest last. */
async function runDemo(options: DemoOptions, dir: string, stops: (() => Promise<unknown>)[]): Promise<void> {
  const { isKeep } = options;
  const started = Date.now();
  step('Starting the plan engine (embedded SQLite, no configuration)');
  // Short retry settings so every path shows within seconds (defaults: 5 task attempts from 2 s, 10
  // compensation attempts from 2 s).
  const engine = await startEngine({
    // No configuration from the environment, except tracing: `OTEL_EXPORTER_OTLP_ENDPOINT=… npm run demo`
    // sends the demo's traces to a collector (docs/tracing.md's walk-through).
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_'))),
    overrides: {
      port: options.port,
      dataDir: dir,
      logLevel: 'silent',
      taskMaxAttempts: 2,
      taskBackoffMs: 100,
      compensationMaxAttempts: 3,
      compensationBackoffMs: 100,
    },
  });
  stops.push(() => engine.close());
  out(`  engine   ${engine.url}   data ${dir}/engine.db`);
  out(`  console  ${engine.url}/console`);
  out('           retries shortened for the demo: 2 task attempts, 3 compensation attempts, 100 ms backoff');
  const admin = new OrraClient({ baseUrl: engine.url });
  const project = (await admin.registerProject({ name: 'shop' })) as { id: string; apiKey: string };
  const api = new OrraClient({ baseUrl: engine.url, apiKey: project.apiKey });
  const configPath = join(dir, 'orra-cli.json');
  writeFileSync(
    configPath,
    JSON.stringify({ current_project: 'shop', projects: { shop: { id: project.id, cli_auth: project.apiKey, server_addr: engine.url } } }, null, 2),
  );
  out(`  project  shop (${project.id})`);

  const receiver = await new WebhookReceiver((w) => out(describeWebhook(w))).start();
  stops.push(() => receiver.close());
  for (const [route, path] of [
    ['/webhooks', '/orra-notifications'],
    ['/compensation-failure-webhooks', '/compensation-failures'],
  ] as const) {
    const endpoint = (await api.request('POST', route, { url: receiver.url(path) })) as { secret: string; id: string };
    receiver.trust(path, endpoint.secret);
    out(`  webhook  ${receiver.url(path)}  (${route === '/webhooks' ? 'orchestration events' : 'compensation failures'}, signed)`);
  }

  const events: ServiceEvent[] = [];
  const eventWaiters: (() => void)[] = [];
  const shop = await startEcommerceServices({
    orraUrl: engine.url,
    apiKey: project.apiKey,
    onEvent: (e) => {
      out(describeEvent(e));
      events.push(e);
      for (const wake of eventWaiters.splice(0)) wake();
    },
  });
  stops.push(() => shop.shutdown());
  const untilEvent = async (match: (e: ServiceEvent) => boolean) => {
    while (!events.some(match)) await new Promise<void>((r) => eventWaiters.push(r));
  };
  out('  services inventory (revertible) · payment (revertible) · delivery');
  await api.request('POST', '/groundings', SHOP_GROUNDING);
  out(`  grounding "${SHOP_GROUNDING.name}": "${SHOP_GROUNDING.useCases[0]!.action}"`);

  const orders: { title: string; orderId: string; expect: string }[] = [
    { title: '1. An order that goes through', orderId: 'ORD-1001', expect: 'orchestration.completed' },
    { title: '2. Delivery is impossible: payment and inventory are undone, newest first', orderId: 'ORD-1002-NODELIVERY', expect: 'orchestration.failed' },
    { title: '3. Delivery is impossible and the refund is rejected: a failed compensation', orderId: 'ORD-1003-NOREFUND', expect: 'compensation.failed' },
  ];
  const ids: string[] = [];
  for (const order of orders) {
    step(order.title);
    const action = `Place order ${order.orderId} and ship it to the customer`;
    out(`  → "${action}"`);
    const created = (await api.createOrchestration({
      action: { content: action },
      data: [
        { field: 'orderId', value: order.orderId },
        { field: 'sku', value: 'SKU-1' },
        { field: 'quantity', value: 2 },
        { field: 'amount', value: 59.9 },
        { field: 'address', value: '221B Baker Street, London' },
      ],
    } as never)) as { id: string; planner: string; plan: { tasks: { id: string; service_name: string }[] } };
    ids.push(created.id);
    out(`    planned by the ${created.planner} planner: ${created.plan.tasks.map((t) => `${t.id} ${t.service_name}`).join(' → ')}`);
    await receiver.waitFor((w) => w.body.orchestration_id === created.id && w.type === order.expect);
    // Inventory is undone last (it completed first): once it is, this order's compensation is over.
    if (order.expect !== 'orchestration.completed') {
      await untilEvent((e) => e.kind === 'revert' && e.service === 'inventory' && e.orchestrationId === created.id);
    }
  }

  step('The operator works the failed-compensation queue with the orra CLI');
  // Asynchronous: the engine runs in this process and must keep answering while the CLI talks to it.
  const cli = async (...args: string[]) => {
    out(`  $ orra ${args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`);
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, '--config', configPath, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    out(stdout.replace(/^/gm, '    ').trimEnd());
  };
  const [failure] = (await api.request('GET', '/compensation-failures?resolution=pending')) as { id: string }[];
  await cli('comp-fail', 'ls');
  await cli('comp-fail', 'inspect', failure!.id);
  await cli('comp-fail', 'resolve', failure!.id, '--reason', 'Manually refunded customer');
  await cli('comp-fail', 'ls', '--all');

  step(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const byType = new Map<string, number>();
  for (const w of receiver.received) byType.set(w.type, (byType.get(w.type) ?? 0) + 1);
  out(`  webhooks received and verified: ${[...byType].map(([t, n]) => `${n} × ${t}`).join(', ')}`);
  out(`  orchestrations: ${ids.join(', ')}`);
  if (!isKeep) {
    // Everything stops and the directory goes once this returns: no commands that point at them.
    out('\n  To explore: `npm run demo -- --keep` leaves the engine (on port 8005), the shop services and');
    out('  the webhook receiver running, and prints commands to try against them and a sign-in link for the console.');
    return;
  }
  const orra = `${cliCommand()} --config ${configPath}`;
  out(`\n  Still running until Ctrl-C: the engine at ${engine.url}, the shop services, the webhook receiver.`);
  out(`  Files: ${dir}  (engine.db: the engine's SQLite database; orra-cli.json: the CLI's config, with the project's API key)`);
  // A link signs in once, within 60 s: printed last, so it is fresh when the reader gets to it.
  const link = await api.createConsoleLink();
  out(`  Console: ${engine.url}/console`);
  out(`    sign in: ${link.url}`);
  out(`    (works once, within 60 s; \`${orra} console\` prints a new one)`);
  out('  Explore:');
  out(`    ${orra} ps`);
  out(`    ${orra} inspect -d ${ids[1]}`);
  out(`    ${orra} comp-fail ls --all`);
  out(`    curl -s ${engine.url}/metrics`);
  out(
    options.isKeepFiles
      ? `  Ctrl-C stops them and keeps ${dir} (--keep-files).`
      : `  Ctrl-C stops them and deletes ${dir} (add --keep-files to keep it).`,
  );
}

/** Runs the demo and, however it ends, stops what it started and deletes its directory. Returns the exit code. */
async function main(options: DemoOptions): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'orra-demo-'));
  const stops: (() => Promise<unknown>)[] = [];
  let deadline: NodeJS.Timeout | undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
  });
  const timedOut = new Promise<never>((_, reject) => {
    if (options.isKeep) return;
    deadline = setTimeout(() => reject(new Error(`did not finish within ${DEADLINE_MS / 1000} s`)), DEADLINE_MS);
  });
  try {
    const demo = runDemo(options, dir, stops);
    demo.catch(() => undefined); // when a signal wins the race, the run fails as its parts stop
    const signal = await Promise.race([demo.then(() => undefined), signalled, timedOut]);
    if (signal) {
      step(`Stopped by ${signal}`);
      return signal === 'SIGINT' ? 130 : 143;
    }
    if (!options.isKeep) return 0;
    step(`Stopping (${await signalled})`);
    return 0;
  } finally {
    clearTimeout(deadline);
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    if (options.isKeepFiles) out(`  kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

let options: DemoOptions;
try {
  options = parseDemoArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n\n${DEMO_USAGE}\n`);
  process.exit(2);
}
if (options.isHelp) {
  out(DEMO_USAGE);
  process.exit(0);
}
main(options).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const isPortTaken = (err as { code?: string } | null)?.code === 'EADDRINUSE';
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      isPortTaken
        ? `demo failed: port ${options.port} is in use (${message}): stop what holds it, or pass --port N\n`
        : `demo failed: ${message}\n`,
    );
    process.exit(1);
  },
);
