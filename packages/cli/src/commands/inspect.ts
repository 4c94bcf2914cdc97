import { Option } from 'commander';
import type { Register } from '../program.js';
import { examples } from './examples.js';
import { followInspection } from './inspect-follow.js';
import { renderInspection } from './inspect-view.js';

/** `orra inspect ID`: one orchestration, its tasks and (with -d) each task's history, I/O and compensation. */
export const registerInspect: Register = (program, context) => {
  const inspect = program
    .command('inspect')
    .argument('<id>', 'the orchestration id (o_…) from orra ps')
    .description(
      'Show an orchestration: status, tasks and, with -d, inputs, outputs and compensation history',
    )
    .option('-d, --detailed', "show each task's status history, input, output and compensation")
    .addOption(
      new Option('-u, --updates', 'with -d: show the first and latest progress updates').conflicts(
        'longUpdates',
      ),
    )
    .option('--long-updates', 'with -d: show every progress update')
    .option(
      '-f, --follow',
      'then print what happens until it ends and its compensations finish (checks every second)',
    )
    .option('--json', 'print the inspection as JSON (with --follow: one line per change)')
    .action(
      async (
        id: string,
        opts: {
          detailed?: boolean;
          updates?: boolean;
          longUpdates?: boolean;
          follow?: boolean;
          json?: boolean;
        },
        command,
      ) => {
        const ctx = context(command);
        const client = ctx.client();
        const view = await ctx.call(() => client.inspectOrchestration(id), {
          notFound: "list orchestrations with 'orra ps'",
        });
        if (opts.json && opts.follow) {
          ctx.io.stdout.write(`${JSON.stringify(view)}\n`);
          return followInspection(ctx, view, true);
        }
        if (opts.json) return ctx.out.json(view);
        // The inspect view only describes aborts made by a task; an operator's abort reason is on the record.
        const abortReason =
          view.status === 'aborted' && !view.abortInfo
            ? (await ctx.call(() => client.getOrchestration(id))).abortReason
            : undefined;
        const { name, project } = ctx.project();
        ctx.out.line(`Project: ${name}`);
        ctx.out.line(`Server:  ${project.server_addr}`);
        ctx.out.line();
        // Progress updates only show within the per-task details, so asking for them implies -d.
        const updates = opts.longUpdates ? 'long' : opts.updates ? 'short' : 'none';
        renderInspection(ctx.out, view, {
          isDetailed: Boolean(opts.detailed) || updates !== 'none',
          updates,
          abortReason,
        });
        if (opts.follow) await followInspection(ctx, view, false);
      },
    );
  examples(inspect, [
    'orra inspect o_MdB26xtW9PpbRDbZiqvPTg',
    'orra inspect o_MdB26xtW9PpbRDbZiqvPTg -d',
    'orra inspect o_MdB26xtW9PpbRDbZiqvPTg -d --long-updates',
    'orra inspect o_MdB26xtW9PpbRDbZiqvPTg --follow',
    'orra inspect o_MdB26xtW9PpbRDbZiqvPTg --json',
  ]);
};
