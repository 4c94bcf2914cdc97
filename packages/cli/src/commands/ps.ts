import type { CompensationSummaryOut, OrchestrationListItemOut, OrchestrationListOut } from '@orra/protocol';
import type { CliContext } from '../cli-context.js';
import { clockTime, errorMessage, ICONS, relativeTime, truncate } from '../format.js';
import { Output, type Cell } from '../output.js';
import { POLL_INTERVAL_MS } from '../poll.js';
import type { Register } from '../program.js';
import { examples } from './examples.js';

/** orra's row order: what is running first, then what ended. */
const GROUP_ORDER: (keyof OrchestrationListOut)[] = [
  'processing',
  'pending',
  'aborted',
  'completed',
  'failed',
  'notActionable',
];

interface PsOptions {
  wide?: boolean;
  watch?: boolean;
  json?: boolean;
}

/** `orra ps`: the project's orchestrations in orra's table; `--watch` keeps it up to date. */
export const registerPs: Register = (program, context) => {
  const ps = program
    .command('ps')
    .description('List the orchestrations of the project')
    .option('-w, --wide', 'add the error column')
    .option('--watch', 'keep the list up to date until Ctrl-C (checks every second)')
    .option(
      '--json',
      'print the list (grouped by status, as the API returns it) as JSON (--watch: a line per change)',
    )
    .action(async (opts: PsOptions, command) => {
      const ctx = context(command);
      if (opts.watch) return watchList(ctx, opts);
      const list = await ctx.call(() => ctx.client().listOrchestrations());
      if (opts.json) return ctx.out.json(list);
      renderList(ctx, ctx.out, list, opts);
    });
  examples(ps, ['orra ps', 'orra ps -w', 'orra ps --watch', "orra ps --json | jq '.failed[].id'"]);
};

function renderList(ctx: CliContext, out: Output, list: OrchestrationListOut, opts: PsOptions): void {
  const { name, project } = ctx.project();
  out.line(`Project: ${name}`);
  out.line(`Server:  ${project.server_addr}`);
  out.line();
  const rows = GROUP_ORDER.flatMap((group) => list[group] ?? []);
  if (rows.length === 0) return out.line("No orchestrations found; start one with 'orra verify run ACTION'");
  const columns = [
    { header: 'ID', width: 25 },
    { header: 'ACTION', width: 36 },
    { header: 'STATUS', width: 18 },
    { header: 'COMPENSATIONS', width: 20 },
    { header: 'CREATED', width: 10 },
    ...(opts.wide ? [{ header: 'ERROR', width: 37 }] : []),
  ];
  const cells = rows.map((o: OrchestrationListItemOut): Cell[] => [
    o.id,
    truncate(o.action, 34),
    out.status(o.status),
    compensationCell(o.compensation),
    // orra's CLI showed the time since the last status change here; orra's engine sends no createdAt.
    relativeTime(o.createdAt ?? o.timestamp),
    // The last column, shown whole: -w is for reading the error (orra cut its raw JSON at 35).
    ...(opts.wide ? [o.error === undefined || o.error === null ? '─' : errorMessage(o.error)] : []),
  ]);
  out.section('Orchestrations', out.tableLines(columns, cells));
}

/**
 * `orra ps --watch`: prints the list again whenever it changes, until Ctrl-C (exit 0). On a terminal it
 * redraws the screen in place, as watch(1) does; elsewhere each new list follows the last, after a blank
 * line. With --json, each changed list is one JSON line.
 */
async function watchList(ctx: CliContext, opts: PsOptions): Promise<void> {
  const client = ctx.client();
  const stdout = ctx.io.stdout;
  const isRedrawn = stdout.isTTY === true && !opts.json;
  ctx.out.note(`Watching the orchestrations, checking every ${POLL_INTERVAL_MS / 1000}s (Ctrl-C to stop)`);
  let previous: string | undefined;
  await ctx.watch(
    () => client.listOrchestrations(),
    (list) => {
      let text = '';
      if (opts.json) text = `${JSON.stringify(list)}\n`;
      else
        renderList(
          ctx,
          new Output({ write: (t: string) => (text += t) }, ctx.io.stderr, ctx.out.isColor),
          list,
          opts,
        );
      if (text === previous) return;
      if (isRedrawn)
        stdout.write(`\u001b[H\u001b[2J${clockTime(new Date().toISOString())}  orra ps --watch\n\n`);
      else if (previous !== undefined && !opts.json) stdout.write('\n');
      stdout.write(text);
      previous = text;
    },
  );
}

/** orra's compensation summary: `◎ Active (1/3)`, `✕ Failed (1/3)`, `● Completed (3/3)`, else `─`. */
function compensationCell(c: CompensationSummaryOut | undefined): Cell {
  if (!c || c.total === 0) return '─';
  if (c.active) return { text: `${ICONS.processing} Active (${c.completed}/${c.total})`, tone: 'busy' };
  if (c.failed > 0) return { text: `${ICONS.failed} Failed (${c.failed}/${c.total})`, tone: 'bad' };
  if (c.completed > 0)
    return { text: `${ICONS.completed} Completed (${c.completed}/${c.total})`, tone: 'good' };
  return '─';
}
