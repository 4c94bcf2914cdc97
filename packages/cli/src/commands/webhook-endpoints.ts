import type { WebhookEndpointKind, WebhookEndpointOut } from '@orra/protocol';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { usageError } from '../cli-error.js';
import { relativeTime } from '../format.js';
import type { Cell } from '../output.js';
import { examples } from './examples.js';
import { NOT_FOUND, registerRecoveryCommands } from './webhook-recovery.js';

/** The kinds the CLI manages on their own; operator endpoints come with `--operator` under `orra webhooks`. */
type CliEndpointKind = Exclude<WebhookEndpointKind, 'operator'>;

const NOUN: Record<
  CliEndpointKind,
  { title: string; events: string; prefix: string; localKey: 'webhooks' | 'compensation_failure_webhooks' }
> = {
  orchestration: {
    title: 'Webhooks',
    events: 'orchestration.completed, orchestration.failed, orchestration.aborted',
    prefix: 'orra webhooks',
    localKey: 'webhooks',
  },
  compensation_failure: {
    title: 'Compensation failure webhooks',
    events: 'compensation.failed',
    prefix: 'orra comp-fail webhooks',
    localKey: 'compensation_failure_webhooks',
  },
};


/**
 * `add`, `ls`, `rm`, `enable`, `disable`, `pause`, `resume`, `rotate-secret` and `recover` for one kind of endpoint, under `orra webhooks` (orchestration events)
 * or `orra comp-fail webhooks` (compensation.failed). The server's list is the source of truth; orra's
 * CLI only listed what it had saved locally.
 */
export function registerEndpointCommands(
  parent: Command,
  kind: CliEndpointKind,
  context: (c: Command) => CliContext,
): void {
  const noun = NOUN[kind];

  const add = parent
    .command('add')
    .argument('<url>', 'an http(s) URL that accepts POST requests')
    .description(`Add a webhook endpoint for ${noun.events}; prints its signing secret`)
    .option('--json', 'print the endpoint (with its secret) as JSON');
  if (kind === 'orchestration') {
    add.option('--operator', `an operator endpoint instead: it receives operator events (${OPERATOR_EVENTS})`);
  }
  add.action(async (url: string, opts: { json?: boolean; operator?: boolean }, command: Command) => {
      const ctx = context(command);
      checkUrl(url);
      const { name, project } = ctx.project();
      const chosen: WebhookEndpointKind = opts.operator ? 'operator' : kind;
      const endpoint = await ctx.call(() => ctx.client().addWebhook(chosen, url));
      // Keep orra's local list in step, so orra's own CLI sees the same webhooks in this file (orra has
      // no operator endpoints: those are not written there).
      if (chosen !== 'operator') {
        const local = project[noun.localKey] ?? [];
        if (!local.includes(endpoint.url)) project[noun.localKey] = [...local, endpoint.url];
        ctx.config.save();
      }
      if (opts.json) return ctx.out.json(endpoint);
      const what = chosen === 'operator' ? 'operator webhook' : kind === 'orchestration' ? 'webhook' : 'compensation failure webhook';
      ctx.out.line(`New ${what} added to project ${name}:`);
      ctx.out.line(`Webhook: ${endpoint.url}`);
      ctx.out.line(`  ID:     ${endpoint.id}`);
      ctx.out.line(`  Secret: ${endpoint.secret ?? '(not sent by this engine)'}`);
      ctx.out.line();
      ctx.out.line('Receivers verify the webhook-signature header with this secret (Standard Webhooks).');
      ctx.out.line(`Store it now; '${noun.prefix} ls --show-secret' shows it again.`);
    });
  examples(add, [
    `${noun.prefix} add https://example.com/orra-notifications`,
    `${noun.prefix} add http://localhost:3000/hooks --json`,
    ...(kind === 'orchestration' ? [`${noun.prefix} add --operator https://pager.example.com/orra`] : []),
  ]);

  const ls = parent
    .command('ls')
    .alias('list')
    .description(`List the project's ${noun.title.toLowerCase()} as the server has them`)
    .option('--show-secret', 'include each signing secret')
    .option('--json', 'print the endpoints as JSON');
  if (kind === 'orchestration') ls.option('--operator', 'list the operator endpoints instead');
  ls.action(async (opts: { showSecret?: boolean; json?: boolean; operator?: boolean }, command: Command) => {
      const ctx = context(command);
      const { name } = ctx.project();
      const client = ctx.client();
      let endpoints = await ctx.call(() => client.listWebhooks(opts.operator ? 'operator' : kind));
      // The list never carries secrets; each endpoint's own read does.
      if (opts.showSecret)
        endpoints = await ctx.call(() => Promise.all(endpoints.map((e) => client.getWebhook(e.id))));
      if (opts.json) return ctx.out.json(endpoints);
      if (endpoints.length === 0) {
        return ctx.out.line(
          `No ${noun.title.toLowerCase()} for project ${name}; add one with '${noun.prefix} add URL'`,
        );
      }
      const title = opts.operator ? 'Operator webhooks' : noun.title;
      ctx.out.line(`${title} of project ${name} (${opts.operator ? OPERATOR_EVENTS : noun.events}):`);
      ctx.out.line();
      const columns = [
        { header: 'ID', width: 25 },
        { header: 'URL', width: 45 },
        { header: 'STATE', width: 12 },
        { header: 'SINCE', width: 10 },
        { header: 'HELD', width: 6 },
        { header: 'CREATED', width: 10 },
        ...(opts.showSecret ? [{ header: 'SECRET', width: 50 }] : []),
      ];
      const rows = endpoints.map((e): Cell[] => [
        e.id,
        e.url,
        stateCell(e),
        e.stateSince ? relativeTime(e.stateSince) : '',
        String(e.heldEvents ?? 0),
        relativeTime(e.createdAt),
        ...(opts.showSecret ? [e.secret ?? ''] : []),
      ]);
      ctx.out.section(`${title} (${endpoints.length})`, ctx.out.tableLines(columns, rows));
      for (const e of endpoints.filter((x) => x.state === 'failing' || x.state === 'probing')) {
        const next = e.nextProbeAt ? `; next probe ${relativeTime(e.nextProbeAt)}` : '';
        ctx.out.line(`${e.id} is failing: ${e.heldEvents} event(s) held, none used up${next}`);
      }
      for (const e of endpoints.filter((x) => x.state === 'paused')) {
        ctx.out.line(`${e.id} is paused with ${e.heldEvents} event(s) held; resume it with 'orra webhooks resume ${e.id}'`);
      }
      for (const e of endpoints.filter((x) => !x.enabled)) {
        ctx.out.line(
          `${e.id} was disabled${e.disabledReason ? `: ${e.disabledReason}` : ''}; re-enable it with 'orra webhooks enable ${e.id}'`,
        );
      }
    });
  examples(ls, [`${noun.prefix} ls`, `${noun.prefix} ls --show-secret`, `${noun.prefix} ls --json`]);

  const rm = parent
    .command('rm')
    .alias('remove')
    .argument('<id>', 'the endpoint id (wh_…) from ls')
    .description('Remove a webhook endpoint; pending deliveries to it are dropped')
    .option('--json', 'print the removed id as JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      const ctx = context(command);
      const { project } = ctx.project();
      const client = ctx.client();
      const endpoint = await ctx.call(() => client.getWebhook(id), { notFound: NOT_FOUND });
      await ctx.call(() => client.deleteWebhook(id), { notFound: NOT_FOUND });
      // Operator endpoints are not in orra's local file.
      const localKey = endpoint.kind === 'operator' ? undefined : NOUN[endpoint.kind].localKey;
      if (localKey && project[localKey]?.includes(endpoint.url)) {
        project[localKey] = project[localKey]?.filter((u) => u !== endpoint.url);
        if (project[localKey]?.length === 0) delete project[localKey];
        ctx.config.save();
      }
      if (opts.json) return ctx.out.json({ id, url: endpoint.url, removed: true });
      ctx.out.success(`Removed webhook ${id} (${endpoint.url})`);
    });
  examples(rm, [`${noun.prefix} rm wh_3KqL7Vx9PpbRDbZiqvPTgA`]);

  const enable = parent
    .command('enable')
    .argument('<id>', 'the endpoint id (wh_…) from ls')
    .description('Re-enable an endpoint the engine disabled (410 Gone, or failing too long); the events it held are sent')
    .option('--discard-held', 'do not send the events held while it was disabled (they end skipped)')
    .option('--json', 'print the endpoint as JSON')
    .action(async (id: string, opts: { json?: boolean; discardHeld?: boolean }, command: Command) => {
      const ctx = context(command);
      const endpoint = await ctx.call(() => ctx.client().enableWebhook(id, { discardHeld: opts.discardHeld === true }), { notFound: NOT_FOUND });
      if (opts.json) return ctx.out.json(endpoint);
      ctx.out.success(`Webhook ${id} is enabled (${endpoint.url})`);
      ctx.out.line(
        `Deliveries skipped while it was disabled can be sent with 'orra webhooks redeliver EVENT_ID --endpoint ${id}'.`,
      );
    });
  examples(enable, [`${noun.prefix} enable wh_3KqL7Vx9PpbRDbZiqvPTgA`, `${noun.prefix} enable wh_3KqL7Vx9PpbRDbZiqvPTgA --discard-held`]);

  const disable = parent
    .command('disable')
    .argument('<id>', 'the endpoint id (wh_…) from ls')
    .description('Disable an endpoint: nothing more is sent to it; pending events are held until enable, new ones are skipped')
    .option('--json', 'print the endpoint as JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      const ctx = context(command);
      const endpoint = await ctx.call(() => ctx.client().disableWebhook(id), { notFound: NOT_FOUND });
      if (opts.json) return ctx.out.json(endpoint);
      ctx.out.success(`Webhook ${id} is disabled (${endpoint.heldEvents} event(s) held); re-enable it with '${noun.prefix} enable ${id}'`);
    });
  examples(disable, [`${noun.prefix} disable wh_3KqL7Vx9PpbRDbZiqvPTgA`]);

  for (const [verb, description] of [
    ['pause', 'Pause an endpoint: nothing is sent to it and its events are held (none used up) until resume'],
    ['resume', 'Resume a paused endpoint: the events it held are sent, in order, slow-starting'],
  ] as const) {
    const cmd = parent
      .command(verb)
      .argument('<id>', 'the endpoint id (wh_…) from ls')
      .description(description)
      .option('--json', 'print the endpoint as JSON')
      .action(async (id: string, opts: { json?: boolean }, command: Command) => {
        const ctx = context(command);
        const client = ctx.client();
        const endpoint = await ctx.call(() => (verb === 'pause' ? client.pauseWebhook(id) : client.resumeWebhook(id)), { notFound: NOT_FOUND });
        if (opts.json) return ctx.out.json(endpoint);
        ctx.out.success(`Webhook ${id} is ${endpoint.state} (${endpoint.heldEvents} event(s) held)`);
      });
    examples(cmd, [`${noun.prefix} ${verb} wh_3KqL7Vx9PpbRDbZiqvPTgA`]);
  }

  registerRecoveryCommands(parent, noun.prefix, context);
}

const OPERATOR_EVENTS = 'webhook.endpoint.failing/recovered/disabled/enabled, webhook.delivery.exhausted, compensation.resolved/ignored, task.late_result, service.unhealthy/healthy';

function stateCell(e: WebhookEndpointOut): Cell {
  switch (e.state ?? (e.enabled ? 'active' : 'disabled')) {
    case 'active':
      return { text: '● active', tone: 'good' };
    case 'failing':
      return { text: '▲ failing', tone: 'bad' };
    case 'probing':
      return { text: '◐ probing', tone: 'bad' };
    case 'paused':
      return { text: '‖ paused', tone: 'warn' };
    default:
      return { text: '✕ disabled', tone: 'bad' };
  }
}

/** orra checked with Go's ParseRequestURI; we insist on http(s), which is all the engine sends to. */
export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(
      `invalid webhook URL '${url}'; it should be an absolute http(s) URL such as https://example.com/hooks`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw usageError(`invalid webhook URL '${url}'; only http and https URLs can receive webhooks`);
  }
}
