import type { OrchestrationInspectOut, TaskInspectOut } from '@orra/protocol';
import type { CliContext } from '../cli-context.js';
import { clockTime, compactValue, errorMessage, formatDurationNs, truncate } from '../format.js';
import { isSettled } from '../orchestration-state.js';
import type { Output } from '../output.js';
import { POLL_INTERVAL_MS } from '../poll.js';
import { compensationStep, nextCompensationAttempt, nextTaskAttempt } from './inspect-view.js';

/**
 * `orra inspect ID --follow`, after the first view was printed: prints what happens next as a timeline
 * (task status changes, retries to come, progress updates, compensation steps, the outcome) until the
 * orchestration has ended and its compensations have outcomes, or the user stops it. With --json, each
 * changed view is one JSON line.
 */
export async function followInspection(
  ctx: CliContext,
  first: OrchestrationInspectOut,
  isJson: boolean,
): Promise<void> {
  if (isSettled(first)) return;
  const client = ctx.client();
  if (!isJson) ctx.out.line();
  if (!isJson)
    ctx.out.note(
      `Following ${first.id} until it ends and its compensations finish, checking every ${POLL_INTERVAL_MS / 1000}s (Ctrl-C to stop)`,
    );
  let previous = first;
  let previousJson = JSON.stringify(first);
  const end = await ctx.watch(
    () => client.inspectOrchestration(first.id),
    (view) => {
      const text = JSON.stringify(view);
      if (isJson && text !== previousJson) ctx.io.stdout.write(`${text}\n`);
      else if (!isJson) for (const line of timeline(ctx.out, previous, view)) ctx.out.line(line);
      previous = view;
      previousJson = text;
      return isSettled(view);
    },
  );
  if (end === 'done' && !isJson)
    ctx.out.line(
      `Ended: ${ctx.out.cell(ctx.out.status(previous.status))} after ${formatDurationNs(previous.duration)}`,
    );
}

/**
 * One event of the timeline, with the time it sorts by and, for events of the same millisecond, its
 * rank: a task's failure and the orchestration's end commit together, and compensation follows both.
 */
interface Event {
  at: string;
  rank: 0 | 1 | 2;
  text: string;
}

/** What changed between two views of the orchestration, oldest first. */
export function timeline(
  out: Output,
  before: OrchestrationInspectOut,
  after: OrchestrationInspectOut,
): string[] {
  const events: Event[] = [];
  const earlier = new Map((before.tasks ?? []).map((t) => [t.id, t]));
  const width = Math.max(0, ...(after.tasks ?? []).map((t) => t.serviceName.length));
  for (const task of after.tasks ?? []) {
    const who = `${task.id.padEnd(7)} ${task.serviceName.padEnd(width)}`;
    for (const e of taskEvents(out, earlier.get(task.id), task))
      events.push({ ...e, text: `${who}  ${e.text}` });
  }
  if (after.status !== before.status) {
    const error = after.error === undefined || after.error === null ? '' : ` - ${errorMessage(after.error)}`;
    const text = `${after.id}  ${out.cell(out.status(after.status))}${error}`;
    events.push({ at: after.timestamp, rank: 1, text });
  }
  return events
    .map((e, i) => ({ ...e, i }))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.rank - b.rank || a.i - b.i)
    .map((e) => `${clockTime(e.at)}  ${e.text}`);
}

function taskEvents(out: Output, before: TaskInspectOut | undefined, after: TaskInspectOut): Event[] {
  const events: Event[] = [];
  const add = (at: string, rank: Event['rank'], text: string) => events.push({ at, rank, text });
  for (const s of after.statusHistory.slice(before?.statusHistory.length ?? 0))
    add(s.timestamp, 0, `${out.cell(out.status(s.status))}${s.error ? ` - ${s.error}` : ''}`);
  // A retry is planned when an attempt fails: it sorts with that failure.
  const next = nextTaskAttempt(out, after);
  if (next && after.nextAttemptAt !== before?.nextAttemptAt)
    add(after.statusHistory.at(-1)?.timestamp ?? '', 0, next);
  for (const u of (after.interimResults ?? []).slice(before?.interimResults?.length ?? 0))
    add(u.timestamp, 0, `update ${truncate(compactValue(u.data), 80)}`);
  for (const c of (after.compensationHistory ?? []).slice(before?.compensationHistory?.length ?? 0))
    add(c.timestamp, 2, `compensation ${compensationStep(out, c)}`);
  const compensationNext = nextCompensationAttempt(out, after.compensation);
  if (compensationNext && after.compensation?.nextAttemptAt !== before?.compensation?.nextAttemptAt)
    add(after.compensationHistory?.at(-1)?.timestamp ?? '', 2, `compensation ${compensationNext}`);
  return events;
}
