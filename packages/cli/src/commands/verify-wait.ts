import type { OrchestrationOut } from '@orra/protocol';
import type { CliContext } from '../cli-context.js';
import {
  CliExit,
  EXIT_INTERRUPTED,
  EXIT_ORCHESTRATION_ABORTED,
  EXIT_ORCHESTRATION_FAILED,
} from '../cli-error.js';
import { compactValue, errorMessage, formatDurationNs } from '../format.js';
import { isEnded } from '../orchestration-state.js';
import { POLL_INTERVAL_MS } from '../poll.js';

/**
 * `orra verify run --wait`: waits for the orchestration's outcome, prints it (the record with --json),
 * and ends with its exit code: 0 completed, 3 failed, 4 aborted; 130 when Ctrl-C stops the wait first
 * (the orchestration goes on). Compensation may still be running when it returns.
 */
export async function waitForOutcome(ctx: CliContext, id: string, isJson: boolean): Promise<void> {
  const client = ctx.client();
  if (!isJson)
    ctx.out.note(
      `Waiting for the outcome, checking every ${POLL_INTERVAL_MS / 1000}s (Ctrl-C stops waiting; the orchestration goes on)`,
    );
  let last: OrchestrationOut | undefined;
  const end = await ctx.watch(
    () => client.getOrchestration(id),
    (o) => isEnded((last = o).status),
  );
  if (end === 'stopped' || !last) {
    ctx.out.note(`Stopped waiting; ${id} goes on: orra inspect ${id} --follow`);
    throw new CliExit(EXIT_INTERRUPTED);
  }
  if (isJson) ctx.out.json(last);
  else printOutcome(ctx, last);
  if (last.status === 'completed') return;
  throw new CliExit(last.status === 'aborted' ? EXIT_ORCHESTRATION_ABORTED : EXIT_ORCHESTRATION_FAILED);
}

function printOutcome(ctx: CliContext, o: OrchestrationOut): void {
  const took = formatDurationNs((Date.parse(o.timestamp) - Date.parse(o.createdAt)) * 1e6);
  const status = ctx.out.cell(ctx.out.status(o.status));
  if (o.status === 'completed') {
    ctx.out.line(`${status} in ${took}`);
    ctx.out.line(`Results: ${compactValue(o.results)}`);
    return;
  }
  const why = o.status === 'aborted' ? o.abortReason : o.error;
  ctx.out.line(`${status} after ${took}${why === undefined || why === null ? '' : `: ${errorMessage(why)}`}`);
  if (o.status === 'failed' || o.status === 'aborted')
    ctx.out.line(`Completed revertible tasks are undone now; follow it with: orra inspect ${o.id} --follow`);
}
