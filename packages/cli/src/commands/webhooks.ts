import type { WebhookDeliveryStatusOut, WebhookEventType } from '@orra/protocol';
import { InvalidArgumentError, Option } from 'commander';
import { CliError } from '../cli-error.js';
import { clockTime, prettyJson, relativeTime, truncate } from '../format.js';
import type { Register } from '../program.js';
import { examples } from './examples.js';
import { registerEndpointCommands } from './webhook-endpoints.js';

const EVENT_TYPES = [
  'orchestration.completed',
  'orchestration.failed',
  'orchestration.aborted',
  'compensation.failed',
  'webhook.test',
];
const EVENT_NOT_FOUND = "list recent events with 'orra webhooks deliveries'";

/** `orra webhooks …`: endpoints for orchestration events, plus delivery history, replay and tests. */
export const registerWebhooks: Register = (program, context) => {
  const webhooks = program
    .command('webhooks')
    .description('Manage webhook endpoints and see or replay their deliveries');
  examples(webhooks, [
    'orra webhooks add https://example.com/orra-notifications',
    'orra webhooks ls',
    'orra webhooks deliveries --status failed',
    'orra webhooks redeliver EVENT_ID',
  ]);
  registerEndpointCommands(webhooks, 'orchestration', context);

  const deliveries = webhooks
    .command('deliveries')
    .description('List webhook deliveries, newest first')
    .addOption(
      new Option('--status <status>', 'only deliveries in this state').choices([
        'pending',
        'succeeded',
        'failed',
        'skipped',
      ]),
    )
    .addOption(new Option('--type <type>', 'only events of this type').choices(EVENT_TYPES))
    .option('--endpoint <id>', 'only deliveries to this endpoint')
    .option('-o, --orchestration <id>', "only this orchestration's events (its compensations' included)")
    .option('-l, --limit <n>', 'how many to show', positiveInt, 20)
    .option('--cursor <cursor>', 'continue after a previous page (printed at its end)')
    .option('--json', 'print the page as JSON')
    .action(
      async (
        opts: {
          status?: string;
          type?: string;
          endpoint?: string;
          orchestration?: string;
          limit: number;
          cursor?: string;
          json?: boolean;
        },
        command,
      ) => {
        const ctx = context(command);
        const page = await ctx.call(() =>
          ctx.client().listWebhookDeliveries({
            status: opts.status as WebhookDeliveryStatusOut | undefined,
            type: opts.type as WebhookEventType | undefined,
            endpoint: opts.endpoint,
            orchestration: opts.orchestration,
            limit: opts.limit,
            cursor: opts.cursor,
          }),
        );
        if (opts.json) return ctx.out.json(page);
        if (page.deliveries.length === 0) return ctx.out.line('No webhook deliveries found');
        const columns = [
          { header: 'EVENT ID', width: 46 },
          { header: 'TYPE', width: 24 },
          { header: 'ENDPOINT', width: 25 },
          { header: 'STATUS', width: 12 },
          { header: 'ATTEMPTS', width: 8 },
          { header: 'LAST RESULT', width: 30 },
          { header: 'CREATED', width: 10 },
        ];
        const rows = page.deliveries.map((d) => [
          d.eventId,
          d.type,
          d.endpointId,
          ctx.out.status(d.status),
          String(d.attempts),
          d.lastHttpStatus !== null ? `HTTP ${d.lastHttpStatus}` : truncate(d.lastError ?? '─', 30),
          relativeTime(d.createdAt),
        ]);
        ctx.out.section(`Webhook Deliveries (${page.deliveries.length})`, ctx.out.tableLines(columns, rows));
        if (page.nextCursor) ctx.out.line(`More: orra webhooks deliveries --cursor ${page.nextCursor}`);
        ctx.out.line('Details of one event: orra webhooks inspect EVENT_ID');
      },
    );
  examples(deliveries, [
    'orra webhooks deliveries',
    'orra webhooks deliveries --status failed',
    'orra webhooks deliveries --type compensation.failed --json',
  ]);

  const inspect = webhooks
    .command('inspect')
    .argument('<event_id>', 'the event id (the webhook-id header and event_id field)')
    .description('Show an event: the exact body sent and every attempt per endpoint')
    .option('--json', 'print the event as JSON')
    .action(async (eventId: string, opts: { json?: boolean }, command) => {
      const ctx = context(command);
      const event = await ctx.call(() => ctx.client().getWebhookEvent(eventId), {
        notFound: EVENT_NOT_FOUND,
      });
      if (opts.json) return ctx.out.json(event);
      ctx.out.section('Webhook Event', [
        `ID:      ${event.eventId}`,
        `Type:    ${event.type}`,
        `Created: ${event.createdAt}`,
      ]);
      ctx.out.line();
      let body: unknown = event.body;
      try {
        body = JSON.parse(event.body);
      } catch {
        // Shown as sent.
      }
      ctx.out.section(
        'Body',
        (typeof body === 'string' ? body : prettyJson(body)).split('\n').map((l) => `  ${l}`),
      );
      for (const d of event.deliveries) {
        ctx.out.line();
        const lines = [
          `URL:      ${d.url}`,
          `Status:   ${ctx.out.cell(ctx.out.status(d.status))}`,
          `Attempts: ${d.attempts}`,
        ];
        if (d.nextAttemptAt) lines.push(`Next:     ${d.nextAttemptAt}`);
        lines.push('');
        for (const a of d.attemptLog) {
          const result = a.httpStatus !== null ? `HTTP ${a.httpStatus}` : 'no response';
          const mark = a.succeeded ? ctx.out.paint('●', 'good') : ctx.out.paint('✕', 'bad');
          lines.push(
            `#${a.attempt}  ${clockTime(a.startedAt)}  ${mark} ${result}  ${a.durationMs}ms${a.error ? `  ${a.error}` : ''}`,
          );
          if (a.responseBody)
            lines.push(`    response: ${a.responseBody.replace(/\s+/g, ' ').slice(0, 200)}`);
        }
        if (d.attemptLog.length === 0) lines.push('No attempts yet');
        ctx.out.section(`Delivery to ${d.endpointId}`, lines);
      }
      ctx.out.line();
      ctx.out.line(`Send it again with: orra webhooks redeliver ${event.eventId}`);
    });
  examples(inspect, ['orra webhooks inspect o_MdB26xtW9PpbRDbZiqvPTg-completed-1746093600']);

  const redeliver = webhooks
    .command('redeliver')
    .argument('<event_id>', 'the event to send again (same event_id, same body)')
    .description('Send an event again to its endpoints (or one of them)')
    .option('--endpoint <id>', 'only to this endpoint')
    .option('--json', 'print the result as JSON')
    .action(async (eventId: string, opts: { endpoint?: string; json?: boolean }, command) => {
      const ctx = context(command);
      const { requeued } = await ctx.call(() => ctx.client().redeliverWebhookEvent(eventId, opts.endpoint), {
        notFound: EVENT_NOT_FOUND,
      });
      if (opts.json) return ctx.out.json({ eventId, requeued });
      ctx.out.success(`Queued ${requeued} ${requeued === 1 ? 'delivery' : 'deliveries'} of ${eventId}`);
      ctx.out.line(`Follow them with: orra webhooks inspect ${eventId}`);
    });
  examples(redeliver, [
    'orra webhooks redeliver o_MdB26xtW9PpbRDbZiqvPTg-failed-1746093600',
    'orra webhooks redeliver EVENT_ID --endpoint wh_3KqL7Vx9PpbRDbZiqvPTgA',
  ]);

  const test = webhooks
    .command('test')
    .argument('<id>', 'the endpoint id (wh_…)')
    .description('Send one webhook.test event to an endpoint and show the answer')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { json?: boolean }, command) => {
      const ctx = context(command);
      const result = await ctx.call(() => ctx.client().testWebhook(id), {
        notFound: "list endpoints with 'orra webhooks ls'",
      });
      const answer =
        result.httpStatus !== null ? `HTTP ${result.httpStatus}` : (result.error ?? 'no response');
      if (opts.json) ctx.out.json(result);
      else if (result.succeeded)
        ctx.out.success(
          `Endpoint ${id} answered ${answer} in ${result.durationMs}ms (event ${result.eventId})`,
        );
      // A failed test fails the command, so scripts can check an endpoint with `orra webhooks test ID`.
      if (!result.succeeded) {
        throw new CliError(
          `endpoint ${id} failed the test: ${answer}${result.error && result.httpStatus !== null ? ` (${result.error})` : ''}`,
        );
      }
    });
  examples(test, ['orra webhooks test wh_3KqL7Vx9PpbRDbZiqvPTgA']);
};

/** Parses a positive integer flag value, or fails as a usage error. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('It must be a positive whole number');
  return n;
}
