import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { usageError } from '../cli-error.js';
import { examples } from './examples.js';

/** The hint of a 404 for any webhook endpoint command. */
export const NOT_FOUND = "list the project's webhooks with 'orra webhooks ls' or 'orra comp-fail webhooks ls'";
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `rotate-secret` and `recover` for one kind of endpoint: the two endpoint actions of the console's
 * Webhooks screen that had no command (the console showed a curl).
 */
export function registerRecoveryCommands(parent: Command, prefix: string, context: (c: Command) => CliContext): void {
  const rotate = parent
    .command('rotate-secret')
    .argument('<id>', 'the endpoint id (wh_…) from ls')
    .description('Give an endpoint a new signing secret; the old one keeps signing too for the overlap period')
    .option('--json', 'print the new secret and when the old one stops signing as JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      const ctx = context(command);
      const rotated = await ctx.call(() => ctx.client().rotateWebhookSecret(id), { notFound: NOT_FOUND });
      if (opts.json) return ctx.out.json(rotated);
      ctx.out.success(`Webhook ${id} has a new signing secret`);
      ctx.out.line(`  Secret: ${rotated.secret}`);
      ctx.out.line();
      // Both secrets sign meanwhile (two webhook-signature entries), so receivers can switch without losing an event.
      ctx.out.line(`The old secret also signs until ${rotated.previousSecretExpiresAt}; give receivers the new one before then.`);
    });
  examples(rotate, [`${prefix} rotate-secret wh_3KqL7Vx9PpbRDbZiqvPTgA`, `${prefix} rotate-secret wh_3KqL7Vx9PpbRDbZiqvPTgA --json`]);

  const recover = parent
    .command('recover')
    .argument('<id>', 'the endpoint id (wh_…) from ls')
    .description('Send again every delivery to an endpoint that failed (used up its retries) since a time')
    .requiredOption('--since <time>', 'an RFC 3339 time (2026-10-27T15:00:00Z) or a span back from now (30m, 6h, 2d)')
    .option('--json', 'print the number of deliveries queued as JSON')
    .action(async (id: string, opts: { since: string; json?: boolean }, command: Command) => {
      const ctx = context(command);
      const since = sinceTime(opts.since, Date.now());
      const { requeued } = await ctx.call(() => ctx.client().recoverWebhook(id, since), { notFound: NOT_FOUND });
      if (opts.json) return ctx.out.json({ id, since, requeued });
      ctx.out.success(`Queued ${requeued} failed ${requeued === 1 ? 'delivery' : 'deliveries'} to ${id} (failed since ${since})`);
      if (requeued > 0) ctx.out.line(`Follow them with: orra webhooks deliveries --endpoint ${id}`);
    });
  examples(recover, [`${prefix} recover wh_3KqL7Vx9PpbRDbZiqvPTgA --since 6h`, `${prefix} recover wh_3KqL7Vx9PpbRDbZiqvPTgA --since 2026-10-27T15:00:00Z`]);
}

/** `--since`: an RFC 3339 time as given, or `<n>m|h|d` back from `nowMs`; anything else is a usage error. */
export function sinceTime(raw: string, nowMs: number): string {
  const span = /^(\d+)([mhd])$/.exec(raw);
  if (span) return new Date(nowMs - Number(span[1]) * UNIT_MS[span[2]!]!).toISOString();
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(raw) && !Number.isNaN(Date.parse(raw))) return raw;
  throw usageError(`invalid --since '${raw}'; give an RFC 3339 time such as 2026-10-27T15:00:00Z or a span back from now such as 30m, 6h or 2d`);
}
