import type { OrchestrationInspectOut, TaskCompensationOut, TaskInspectOut } from '@orra/protocol';
import { clockTime, compactValue, formatDurationNs, prettyJson, statusStyle, titleCase } from '../format.js';
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
  out.section(`Orchestration Details${suffix}`, [
    `ID:      ${view.id}`,
    `Status:  ${out.cell(out.status(view.status))}`,
    `Action:  ${view.action}`,
    `Created: ${formatDurationNs(view.duration)} ago`,
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
    const where = info ? [`Task:      ${info.taskId}`, `Service:   ${info.serviceName}`] : [];
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
    out.section('Tasks', out.tableLines(columns, rows));
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
    for (const c of task.compensationHistory) {
      const text = compensationText({
        status: c.status,
        attempt: c.attempt,
        max_attempts: c.maxAttempts,
        timestamp: c.timestamp,
      });
      lines.push(
        `${clockTime(c.timestamp)}  ${out.paint(text, statusStyle(c.status).tone)}${c.error ? ` - ${c.error}` : ''}`,
      );
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

/** `Processing (1/10)`, `Completed`, `Completed Partially`, `Expired`, `Failed (3/10)`: orra's words. */
function compensationText(c: TaskCompensationOut): string {
  const { icon } = statusStyle(c.status);
  switch (c.status) {
    case 'processing':
    case 'pending':
    case 'waiting':
      return `${icon} ${titleCase(c.status)} (${c.attempt}/${c.max_attempts})`;
    case 'failed':
      return `${icon} Failed (${c.attempt}/${c.max_attempts})`;
    case 'partial':
      return `${icon} Completed Partially`;
    default:
      return `${icon} ${titleCase(c.status)}`;
  }
}
