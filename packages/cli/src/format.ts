/**
 * Text formats orra's CLI uses (orra-compat §8.2): status icons, durations, relative times. Kept
 * byte-for-byte where people grep for them (`● Completed`, `✕ Failed`).
 */

/** orra's status icons. */
export const ICONS = {
  pending: '○',
  processing: '◎',
  completed: '●',
  failed: '✕',
  not_actionable: '⊘',
  paused: '⏸',
  retrying: '↻',
  aborted: '⊟',
  resolved: '●',
  ignored: '⊖',
} as const;

/** The colour a status is shown in on a terminal. */
export type Tone = 'good' | 'bad' | 'busy' | 'warn' | 'plain';

/** `not_actionable` → `Not Actionable`. An empty status stays empty (it crashed orra's CLI). */
export function titleCase(status: string): string {
  return status
    .split('_')
    .filter((part) => part !== '')
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join(' ');
}

/** The icon and tone of an orchestration, task, compensation or resolution status. */
export function statusStyle(status: string): { icon: string; tone: Tone } {
  switch (status.toLowerCase().replace(' ', '_')) {
    case 'pending':
    case 'waiting':
      return { icon: ICONS.pending, tone: 'warn' };
    case 'processing':
    case 'partial':
      return { icon: ICONS.processing, tone: 'busy' };
    case 'completed':
    case 'succeeded':
    case 'resolved':
      return { icon: ICONS.completed, tone: 'good' };
    case 'failed':
    case 'expired':
      return { icon: ICONS.failed, tone: 'bad' };
    case 'not_actionable':
      return { icon: ICONS.not_actionable, tone: 'warn' };
    case 'paused':
      return { icon: ICONS.paused, tone: 'warn' };
    case 'retrying':
      return { icon: ICONS.retrying, tone: 'warn' };
    case 'aborted':
      return { icon: ICONS.aborted, tone: 'bad' };
    case 'ignored':
    case 'skipped':
      return { icon: ICONS.ignored, tone: 'plain' };
    default:
      return { icon: ' ', tone: 'plain' };
  }
}

/** `● Completed`, `⊘ Not Actionable`: orra's status column. */
export function statusLabel(status: string): string {
  return `${statusStyle(status).icon} ${titleCase(status)}`;
}

/** Cuts `text` to `max` characters, ending in `...` (orra's truncation). */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 3).join('')}...`;
}

/** orra's relative time: `just now`, `5m`, `3h`, `2d`. */
export function relativeTime(timestamp: string, now = Date.now()): string {
  const ms = now - Date.parse(timestamp);
  if (!Number.isFinite(ms) || ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h`;
  return `${Math.floor(ms / 86_400_000)}d`;
}

/** `2.8s ago`: the time since an RFC 3339 timestamp in orra's duration format. */
export function ago(timestamp: string, now = Date.now()): string {
  return `${formatDurationNs(Math.max(0, now - Date.parse(timestamp)) * 1e6)} ago`;
}

/** `in 2.0s`, or `due now`: how far off a due time is. */
export function timeUntil(timestamp: string, now = Date.now()): string {
  const ms = Date.parse(timestamp) - now;
  return ms > 0 ? `in ${formatDurationNs(ms * 1e6)}` : 'due now';
}

/** `15:41:31 (in 2.0s)`: a due time, local, with how far off it is. */
export function dueTime(timestamp: string, now = Date.now()): string {
  return `${clockTime(timestamp)} (${timeUntil(timestamp, now)})`;
}

/** orra's duration format from nanoseconds: `120ms`, `1.5s`, `2.0m`, `1.2h`. */
export function formatDurationNs(ns: number): string {
  const ms = ns / 1e6;
  if (ms < 1000) return `${Math.floor(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

/** Local wall-clock time `HH:MM:SS` of an RFC 3339 timestamp (orra's history lines). */
export function clockTime(timestamp: string): string {
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return timestamp;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Pretty JSON (2 spaces); `undefined` prints as `null`. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2);
}

/** A value as compact text: strings as they are, everything else as JSON. */
export function compactValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

/** An orchestration's error: a task failure's message (it names the task), other errors as text. */
export function errorMessage(error: unknown): string {
  const e = error as { error?: unknown } | null;
  return e && typeof e === 'object' && typeof e.error === 'string' ? e.error : compactValue(error);
}
