import { signal } from '@preact/signals';

/** Times in the browser's zone or in UTC (the operator's choice, kept in localStorage). */
export const timeZone = signal<'local' | 'utc'>((localStorage.getItem('orra.tz') as 'local' | 'utc' | null) ?? 'local');

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (timeZone.value === 'utc') return d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  return localFormat.format(d);
}

// One formatter for every row: `toLocaleString` with options builds a new one per call, which made a
// 200-row list spend most of its render time in Intl (bench/README.md, console).
const localFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export const age = (iso: string) => formatDuration(Date.now() - Date.parse(iso));

/** A shell-safe single-quoted argument for the CLI commands we show. */
export const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
