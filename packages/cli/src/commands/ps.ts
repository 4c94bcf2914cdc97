import type { CompensationSummaryOut, OrchestrationListItemOut, OrchestrationListOut } from '@orra/protocol';
import { compactValue, ICONS, relativeTime, truncate } from '../format.js';
import type { Cell } from '../output.js';
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

/** `orra ps`: the project's orchestrations in orra's table. */
export const registerPs: Register = (program, context) => {
  const ps = program
    .command('ps')
    .description('List the orchestrations of the project')
    .option('-w, --wide', 'add the error column')
    .option('--json', 'print the list (grouped by status, as the API returns it) as JSON')
    .action(async (opts: { wide?: boolean; json?: boolean }, command) => {
      const ctx = context(command);
      const list = await ctx.call(() => ctx.client().listOrchestrations());
      if (opts.json) return ctx.out.json(list);
      const { name, project } = ctx.project();
      ctx.out.line(`Project: ${name}`);
      ctx.out.line(`Server:  ${project.server_addr}`);
      ctx.out.line();
      const rows = GROUP_ORDER.flatMap((group) => list[group] ?? []);
      if (rows.length === 0)
        return ctx.out.line("No orchestrations found; start one with 'orra verify run ACTION'");
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
        ctx.out.status(o.status),
        compensationCell(o.compensation),
        relativeTime(o.timestamp),
        // The last column, shown whole: -w is for reading the error (orra cut its raw JSON at 35).
        ...(opts.wide ? [o.error === undefined || o.error === null ? '─' : errorText(o.error)] : []),
      ]);
      ctx.out.section('Orchestrations', ctx.out.tableLines(columns, cells));
    });
  examples(ps, ['orra ps', 'orra ps -w', "orra ps --json | jq '.failed[].id'"]);
};

/** orra's compensation summary: `◎ Active (1/3)`, `✕ Failed (1/3)`, `● Completed (3/3)`, else `─`. */
function compensationCell(c: CompensationSummaryOut | undefined): Cell {
  if (!c || c.total === 0) return '─';
  if (c.active) return { text: `${ICONS.processing} Active (${c.completed}/${c.total})`, tone: 'busy' };
  if (c.failed > 0) return { text: `${ICONS.failed} Failed (${c.failed}/${c.total})`, tone: 'bad' };
  if (c.completed > 0)
    return { text: `${ICONS.completed} Completed (${c.completed}/${c.total})`, tone: 'good' };
  return '─';
}

/** A task failure's message (it names the task; orra printed the raw JSON); other errors as text. */
function errorText(error: unknown): string {
  const e = error as { error?: unknown } | null;
  return e && typeof e === 'object' && typeof e.error === 'string' ? e.error : compactValue(error);
}
