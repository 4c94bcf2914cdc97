import type {
  CompensationHistoryOut,
  LateAnswerOut,
  OrchestrationInspectOut,
  TaskCompensationOut,
  TaskInspectOut,
} from '@orra/protocol';
import {
  ago,
  clockTime,
  compactValue,
  dueTime,
  formatDurationNs,
  ICONS,
  prettyJson,
  statusStyle,
  titleCase,
} from '../format.js';
import type { Output } from '../output.js';

/** What `orra inspect` shows beyond the overview and task table. */
export interface InspectDetail {
  isDetailed: boolean;
  updates: 'none' | 'short' | 'long';
  /** The record's abort reason, for aborts the view has no `abortInfo` for (an operator's). */
  abortReason?: unknown;
}

const json = (value: unknown, prefix = '  ') =>
  prettyJson(value)
    .split('\n')
    .map((l) => `${prefix}${l}`);

/** orra's inspect layout: overview, abort information, task table, then (with -d) per-task details. */
export function renderInspection(out: Output, view: OrchestrationInspectOut, detail: InspectDetail): void {
  const suffix = ['failed', 'aborted', 'not_actionable'].includes(view.status)
    ? ` [${titleCase(view.status).toUpperCase()}]`
    : '';
  const isInFlight = view.status === 'pending' || view.status === 'processing';
  out.section(`Orchestration Details${suffix}`, [
    `ID:      ${view.id}`,
    `Status:  ${out.cell(out.status(view.status))}`,
    `Action:  ${view.action}`,
    // orra's engine sends no createdAt, and its duration is the age. Labels keep orra's alignment.
    ...(view.createdAt
      ? [
          `Created: ${ago(view.createdAt)}`,
          `Runtime: ${formatDurationNs(view.duration)}${isInFlight ? ' so far' : ''}`,
        ]
      : [`Created: ${formatDurationNs(view.duration)} ago`]),
    ...(view.error === undefined || view.error === null ? [] : [`Error:   ${compactValue(view.error)}`]),
  ]);

  if (view.status === 'aborted') {
    const info = view.abortInfo;
    const payload = info ? info.payload : detail.abortReason;
    const fields =
      payload && typeof payload === 'object' && !Array.isArray(payload)
        ? Object.keys(payload)
            .sort()
            .map(
              (k) =>
                `${`${k[0]?.toUpperCase()}${k.slice(1)}:`.padEnd(10)} ${compactValue((payload as Record<string, unknown>)[k])}`,
            )
        : payload === undefined
          ? []
          : [`Payload:   ${compactValue(payload)}`];
    out.line();
    // An operator's abort names no task (orra's engine sends empty strings for it).
    const where = info?.taskId ? [`Task:      ${info.taskId}`, `Service:   ${info.serviceName ?? ''}`] : [];
    out.section(
      'Abort Information',
      where.length + fields.length > 0 ? [...where, ...fields] : ['No information available about the abort'],
    );
  }

  const tasks = view.tasks ?? [];
  if (tasks.length > 0) {
    out.line();
    const columns = [
      { header: 'ID', width: 8 },
      { header: 'SERVICE', width: 30 },
      { header: 'STATUS', width: 14 },
      { header: 'COMPENSATION', width: 20 },
      { header: 'DURATION', width: 10 },
      { header: 'LAST ERROR', width: 10 },
    ];
    const rows = tasks.map((t) => [
      t.id,
      t.serviceName,
      out.status(t.status),
      t.compensation
        ? { text: compensationText(t.compensation), tone: statusStyle(t.compensation.status).tone }
        : '─',
      formatDurationNs(t.duration),
      t.error || '─',
    ]);
    out.section('Tasks', [...out.tableLines(columns, rows), ...retryNotes(out, tasks), ...lateNotes(out, tasks)]);
  }

  if (!detail.isDetailed || tasks.length === 0) return;
  out.line();
  const body: string[] = [];
  tasks.forEach((task, i) => {
    if (i > 0) body.push('', '· '.repeat(25).trimEnd());
    body.push(
      '',
      `${out.paint(task.serviceName, 'bold')} (${task.id})`,
      '─'.repeat(50),
      ...taskDetail(out, task, detail),
    );
  });
  out.section('Task Execution Details', body);

  if (view.results && view.results.length > 0) {
    out.line();
    out.section('Final Results', ['', ...json(view.results.length === 1 ? view.results[0] : view.results)]);
  }
}

function taskDetail(out: Output, task: TaskInspectOut, detail: InspectDetail): string[] {
  const lines = task.statusHistory.map(
    (s) => `${clockTime(s.timestamp)}  ${out.cell(out.status(s.status))}${s.error ? ` - ${s.error}` : ''}`,
  );
  // The attempt to come, as the next line of the timeline.
  const next = nextTaskAttempt(out, task);
  if (next) lines.push(`${'next'.padEnd(8)}  ${next}`);
  const updates = task.interimResults ?? [];
  if (detail.updates !== 'none' && updates.length > 0) {
    lines.push(...progressLines(task), '', `Progress Updates ${'─'.repeat(33)}`);
    const shown =
      detail.updates === 'long'
        ? updates
        : [updates[0], ...(updates.length > 1 ? [updates[updates.length - 1]] : [])];
    shown.forEach((u, j) => {
      if (!u) return;
      const label =
        detail.updates === 'long'
          ? `Update ${j + 1}/${updates.length}`
          : j === 0
            ? 'First Update'
            : 'Latest Update';
      lines.push(`${clockTime(u.timestamp)}  ${label}`, ...json(u.data));
    });
    if (detail.updates === 'short' && updates.length > 2)
      lines.push('', `Use --long-updates to show all ${updates.length} updates`);
  }
  if (task.compensationHistory && task.compensationHistory.length > 0) {
    lines.push('', `Compensating ${'─'.repeat(37)}`);
    for (const c of task.compensationHistory)
      lines.push(`${clockTime(c.timestamp)}  ${compensationStep(out, c)}`);
  }
  if (task.lateAnswers && task.lateAnswers.length > 0) {
    lines.push('', `Late Answers ${'─'.repeat(37)}`);
    for (const a of task.lateAnswers) {
      lines.push(`${clockTime(a.timestamp)}  ${lateAnswerText(out, a)}`, `          ${a.reason}; execution ${a.executionId ?? '─'}`);
      if (a.output !== undefined && a.output !== null) lines.push(...json(a.output, '          '));
    }
  }
  lines.push('', 'Input:', ...json(task.input));
  if (task.output !== undefined) lines.push('', 'Output:', ...json(task.output));
  if (task.status === 'aborted' && task.abortPayload !== undefined)
    lines.push('', 'Abort Payload:', ...json(task.abortPayload));
  return lines;
}

/** A progress bar from the latest `progress`/`percentComplete` of the interim results (orra's). */
function progressLines(task: TaskInspectOut): string[] {
  let progress = 0;
  for (const u of task.interimResults ?? []) {
    const data = (u.data ?? {}) as Record<string, unknown>;
    const p =
      typeof data.progress === 'number'
        ? data.progress
        : typeof data.percentComplete === 'number'
          ? data.percentComplete
          : undefined;
    if (p !== undefined) progress = Math.max(0, Math.min(100, Math.trunc(p)));
  }
  const filled = Math.trunc((progress / 100) * 20);
  const bar = '='.repeat(filled) + (filled < 20 ? `>${' '.repeat(19 - filled)}` : '');
  const history = task.statusHistory;
  const first = history[0];
  const last = history[history.length - 1];
  const elapsed = first && last ? (Date.parse(last.timestamp) - Date.parse(first.timestamp)) / 1000 : 0;
  return [
    `Progress: [${bar}] ${progress}%  (${elapsed.toFixed(1)}s elapsed)`,
    `Updates: ${task.interimResults?.length ?? 0}`,
  ];
}

/** One step of a compensation's history: `✕ Failed (1/10) - warehouse API down`. */
export function compensationStep(out: Output, c: CompensationHistoryOut): string {
  const text = c.isManualRetry
    ? `${statusStyle(c.status).icon} ${titleCase(c.status)} (manual retry, attempt ${c.attempt})`
    : compensationText({
        status: c.status,
        attempt: c.attempt,
        max_attempts: c.maxAttempts,
        timestamp: c.timestamp,
      });
  return `${out.paint(text, statusStyle(c.status).tone)}${c.error ? ` - ${c.error}` : ''}`;
}

/** The attempt a retrying task waits for: `↻ Attempt 2/3 at 15:41:31 (in 2.0s)`. */
export function nextTaskAttempt(out: Output, t: TaskInspectOut): string | undefined {
  if (t.status !== 'retrying' || !t.nextAttemptAt) return undefined;
  return `${out.paint(`${ICONS.retrying} Attempt ${t.attempt}/${t.maxAttempts}`, 'warn')} at ${dueTime(t.nextAttemptAt)}`;
}

/** The attempt a compensation waits for after a failed one: `↻ Attempt 2/10 at 15:41:33 (in 4.0s)`. */
export function nextCompensationAttempt(out: Output, c: TaskCompensationOut | undefined): string | undefined {
  if (!c?.nextAttemptAt) return undefined;
  return `${out.paint(`${ICONS.retrying} Attempt ${c.attempt + 1}/${c.max_attempts}`, 'warn')} at ${dueTime(c.nextAttemptAt)}`;
}

/**
 * What is still to come for retrying tasks and compensations, under the task table: the attempt number
 * and when it is due (`task2: ↻ Attempt 2/3 at 15:41:31 (in 2.0s)`).
 */
function retryNotes(out: Output, tasks: TaskInspectOut[]): string[] {
  const notes: string[] = [];
  for (const t of tasks) {
    const next = nextTaskAttempt(out, t);
    if (next) notes.push(`${t.id}: ${next}`);
    const compensation = nextCompensationAttempt(out, t.compensation);
    if (compensation) notes.push(`${t.id} compensation: ${compensation}`);
  }
  return notes.length > 0 ? ['', ...notes] : [];
}

/**
 * Answers that came after their work had ended, under the task table (always: an operator must see
 * them): `task1: ⚠ late result (compensating it)`, `task1: ⚠ late result (recorded: not undone)`.
 */
function lateNotes(out: Output, tasks: TaskInspectOut[]): string[] {
  const notes: string[] = [];
  for (const t of tasks) for (const a of t.lateAnswers ?? []) notes.push(`${t.id}: ${lateAnswerText(out, a)}`);
  return notes.length > 0 ? ['', ...notes] : [];
}

function lateAnswerText(out: Output, a: LateAnswerOut): string {
  const what = `late ${a.of === 'compensation' ? 'compensation ' : ''}${a.outcome}`;
  const detail = a.error ? `: ${a.error}` : '';
  const fate =
    a.disposition === 'compensating'
      ? 'compensating it'
      : a.of === 'task' && a.outcome === 'result'
        ? 'recorded; the engine cannot undo it: check it by hand'
        : 'recorded';
  return `${out.paint(`⚠ ${what}`, 'warn')}${detail} (${fate})`;
}

/**
 * `Processing (1/10)`, `Completed`, `Completed Partially`, `Expired`, `Failed (3/10)`: orra's words;
 * ours: `Retrying (2/10)` (the next attempt) while a failed attempt waits out its backoff, and
 * `Failed (attempt 11)` once an operator's retries went past the automatic attempts.
 */
function compensationText(c: TaskCompensationOut): string {
  const { icon } = statusStyle(c.status);
  if (c.nextAttemptAt) return `${ICONS.retrying} Retrying (${c.attempt + 1}/${c.max_attempts})`;
  switch (c.status) {
    case 'processing':
    case 'pending':
    case 'waiting':
      return `${icon} ${titleCase(c.status)} (${c.attempt}/${c.max_attempts})`;
    case 'failed':
      return c.attempt > c.max_attempts
        ? `${icon} Failed (attempt ${c.attempt})`
        : `${icon} Failed (${c.attempt}/${c.max_attempts})`;
    case 'partial':
      return `${icon} Completed Partially`;
    default:
      return `${icon} ${titleCase(c.status)}`;
  }
}
