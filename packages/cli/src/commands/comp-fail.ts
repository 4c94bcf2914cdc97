import type { FailedCompensationOut, ResolutionStateOut } from '@orra/protocol';
import { Option, type Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { relativeTime } from '../format.js';
import { reasonText } from '../reason-flag.js';
import type { Cell } from '../output.js';
import type { Register } from '../program.js';
import { renderFailedCompensation } from './comp-fail-inspect.js';
import { examples } from './examples.js';
import { registerEndpointCommands } from './webhook-endpoints.js';
import { positiveInt } from './webhooks.js';

const NOT_FOUND = "list them with 'orra comp-fail ls --all'";

/** `orra comp-fail …`: the queue of compensations that failed for good and wait for an operator. */
export const registerCompFail: Register = (program, context) => {
  const compFail = program
    .command('comp-fail')
    .description('See and resolve compensations that failed (data may be inconsistent)');
  const hooks = compFail.command('webhooks').description('Manage webhooks for compensation.failed events');
  examples(compFail, [
    'orra comp-fail ls',
    'orra comp-fail inspect c_7HqL7Vx9PpbRDbZiqvPTgA',
    'orra comp-fail resolve c_7HqL7Vx9PpbRDbZiqvPTgA --reason "Manually refunded customer"',
  ]);
  examples(hooks, [
    'orra comp-fail webhooks add https://example.com/compensation-failures',
    'orra comp-fail webhooks ls',
  ]);
  registerEndpointCommands(hooks, 'compensation_failure', context);

  const ls = compFail
    .command('ls')
    .alias('list')
    .description('List failed compensations (pending ones unless --all or -r)')
    .option('--all', 'include resolved and ignored ones')
    .option('-o, --orchestration <id>', 'only for orchestrations whose id contains this (any case)')
    .option(
      '-s, --service <name>',
      'only for services whose name contains this (any case), or this service id',
    )
    .addOption(
      new Option('-r, --resolution <state>', 'only in this resolution state').choices([
        'pending',
        'resolved',
        'ignored',
      ]),
    )
    .option('-l, --limit <n>', 'how many to show', positiveInt, 20)
    .option('--json', 'print the records as JSON')
    .action(async (opts: ListOptions, command: Command) => {
      const ctx = context(command);
      const { records, hasMore } = await listFailures(ctx, opts);
      if (opts.json) return ctx.out.json(records);
      const { name, project } = ctx.project();
      ctx.out.line(`Project: ${name}`);
      ctx.out.line(`Server:  ${project.server_addr}`);
      ctx.out.line();
      const resolution = opts.resolution ?? (opts.all ? undefined : 'pending');
      if (records.length === 0) {
        return ctx.out.line(
          resolution ? `No ${resolution} failed compensations found` : 'No failed compensations found',
        );
      }
      const withReason = resolution !== 'pending';
      const columns = [
        { header: 'ID', width: 25 },
        { header: 'ORCHESTRATION', width: 25 },
        { header: 'SERVICE', width: 30 },
        { header: 'STATUS', width: 13 },
        { header: 'RESOLUTION', width: 20 },
        { header: 'CREATED', width: 10 },
        ...(withReason ? [{ header: 'REASON', width: 30 }] : []),
      ];
      const rows = records.map((r): Cell[] => [
        r.id,
        r.orchestrationId,
        r.serviceName,
        ctx.out.status(r.status),
        ctx.out.status(r.resolutionState),
        relativeTime(r.timestamp),
        // The last column: shown whole, so the reason reads as the operator wrote it.
        ...(withReason ? [r.resolution ?? '─'] : []),
      ]);
      ctx.out.section(`Failed Compensations (${records.length})`, ctx.out.tableLines(columns, rows));
      if (hasMore)
        ctx.out.line(`Showing the newest ${records.length}; see more with --limit ${opts.limit * 2}`);
      ctx.out.line('Details and what to do: orra comp-fail inspect ID');
    });
  examples(ls, [
    'orra comp-fail ls',
    'orra comp-fail ls --all',
    'orra comp-fail ls -s payments -r resolved',
    'orra comp-fail ls --json',
  ]);

  const inspect = compFail
    .command('inspect')
    .argument('<id>', 'the failed compensation id (c_…)')
    .description('Show a failed compensation: failure, context, data and its audit trail')
    .option('--json', 'print the record as JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      const ctx = context(command);
      const record = await ctx.call(() => ctx.client().getFailedCompensation(id), { notFound: NOT_FOUND });
      if (opts.json) return ctx.out.json(record);
      renderFailedCompensation(ctx.out, record);
    });
  examples(inspect, [
    'orra comp-fail inspect c_7HqL7Vx9PpbRDbZiqvPTgA',
    'orra comp-fail inspect c_7HqL7Vx9PpbRDbZiqvPTgA --json',
  ]);

  for (const action of ['resolve', 'ignore'] as const) {
    const cmd = compFail
      .command(action)
      .argument('<id>', 'the failed compensation id (c_…)')
      .description(
        action === 'resolve'
          ? 'Mark a failed compensation as resolved (you fixed the data by hand)'
          : 'Mark a failed compensation as ignored (nothing needs fixing)',
      )
      .requiredOption('-r, --reason <text>', 'why; kept in the audit trail', reasonText)
      .option('--json', 'print the updated record as JSON')
      .action(async (id: string, opts: { reason: string; json?: boolean }, command: Command) => {
        const ctx = context(command);
        const record = await ctx.call(() => ctx.client().disposeFailedCompensation(id, action, opts.reason), {
          notFound: NOT_FOUND,
        });
        if (opts.json) return ctx.out.json(record);
        ctx.out.success(`Successfully ${action === 'resolve' ? 'resolved' : 'ignored'} compensation failure`);
        printSummary(ctx, record);
      });
    examples(
      cmd,
      action === 'resolve'
        ? ['orra comp-fail resolve c_7HqL7Vx9PpbRDbZiqvPTgA --reason "Manually refunded customer"']
        : ['orra comp-fail ignore c_7HqL7Vx9PpbRDbZiqvPTgA --reason "Test transaction, no actual impact"'],
    );
  }

  const retry = compFail
    .command('retry')
    .argument('<id>', 'the failed compensation id (c_…)')
    .description('Run the compensation again on its service; resolved if it succeeds, else it stays pending')
    .option('--json', 'print the updated record as JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      const ctx = context(command);
      const record = await ctx.call(() => ctx.client().retryFailedCompensation(id), { notFound: NOT_FOUND });
      if (opts.json) ctx.out.json(record);
      if (record.resolutionState !== 'resolved') {
        throw new CliError(
          `${record.failure ?? `the retry of ${id} failed`}; ${id} stays pending (see 'orra comp-fail inspect ${id}')`,
        );
      }
      if (opts.json) return;
      ctx.out.success('Compensation succeeded on retry; the failure is resolved');
      printSummary(ctx, record);
    });
  examples(
    retry,
    ['orra comp-fail retry c_7HqL7Vx9PpbRDbZiqvPTgA'],
    'The service must be connected; the command waits for the outcome.',
  );
};

interface ListOptions {
  all?: boolean;
  orchestration?: string;
  service?: string;
  resolution?: ResolutionStateOut;
  limit: number;
  json?: boolean;
}

/**
 * The engine filters resolution server-side and pages; orra's `-o`/`-s` match substrings, which the
 * engine does not, so with them the CLI reads every record of that resolution and filters itself.
 */
async function listFailures(
  ctx: CliContext,
  opts: ListOptions,
): Promise<{ records: FailedCompensationOut[]; hasMore: boolean }> {
  const resolution = opts.resolution ?? (opts.all ? undefined : 'pending');
  const client = ctx.client();
  if (!opts.orchestration && !opts.service) {
    const records = await ctx.call(() =>
      client.listFailedCompensations({ resolution, limit: opts.limit + 1 }),
    );
    return { records: records.slice(0, opts.limit), hasMore: records.length > opts.limit };
  }
  // Both match in any case, as docs/cli.md says (orra matched the orchestration id case-sensitively).
  const o = opts.orchestration?.toLowerCase();
  const s = opts.service?.toLowerCase();
  const matches = (await ctx.call(() => client.listFailedCompensations({ resolution }))).filter(
    (r) =>
      (!o || r.orchestrationId.toLowerCase().includes(o)) &&
      (!s || r.serviceName.toLowerCase().includes(s) || r.serviceId === opts.service),
  );
  return { records: matches.slice(0, opts.limit), hasMore: matches.length > opts.limit };
}

function printSummary(ctx: CliContext, r: FailedCompensationOut): void {
  ctx.out.line(`  ID:         ${r.id}`);
  ctx.out.line(`  Service:    ${r.serviceName}`);
  ctx.out.line(`  Resolution: ${r.resolutionState}`);
  if (r.resolution) ctx.out.line(`  Reason:     ${r.resolution}`);
}
