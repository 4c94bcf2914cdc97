import type { Register } from '../program.js';
import { reasonText } from '../reason-flag.js';
import { examples } from './examples.js';

/** `orra abort ID`: an operator abort (our addition; orra only lets a service abort from inside a task). */
export const registerAbort: Register = (program, context) => {
  const abort = program
    .command('abort')
    .argument('<id>', 'a pending or processing orchestration (o_…)')
    .description('Abort a running orchestration; completed revertible tasks are then compensated')
    .option(
      '--reason <text>',
      'why; sent as the abort reason to webhooks and compensation handlers',
      reasonText,
    )
    .option('--json', 'print the orchestration as JSON')
    .action(async (id: string, opts: { reason?: string; json?: boolean }, command) => {
      const ctx = context(command);
      const orchestration = await ctx.call(() => ctx.client().abortOrchestration(id, opts.reason), {
        notFound: "list orchestrations with 'orra ps'",
      });
      if (opts.json) return ctx.out.json(orchestration);
      ctx.out.success(`Aborted orchestration ${id}`);
      if (opts.reason) ctx.out.line(`  Reason: ${opts.reason}`);
      ctx.out.line(`  Status: ${ctx.out.cell(ctx.out.status(orchestration.status))}`);
      ctx.out.line();
      ctx.out.line(`Completed revertible tasks are compensated now; follow it with: orra inspect ${id} -d`);
    });
  examples(abort, ['orra abort o_MdB26xtW9PpbRDbZiqvPTg --reason "Customer cancelled"']);
};
