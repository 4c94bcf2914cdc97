import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, takeAnswered, withQuery } from '../api.js';
import { ErrorNote, escapeHtml, Page, statusHtml, useLive } from '../components.js';
import { formatDuration, formatTime, timeZone } from '../format.js';
import { route, setQuery } from '../router.js';

export interface ListItem {
  id: string;
  action: string;
  status: string;
  error?: unknown;
  timestamp: string;
  createdAt?: string;
  compensation?: { active: boolean; total: number; completed: number; failed: number };
  /** The plan's tasks done/total; absent until there is a plan. */
  tasks?: { done: number; total: number };
}

const STATUSES = ['pending', 'processing', 'completed', 'failed', 'not_actionable', 'aborted'];
const RUNNING = new Set(['pending', 'processing']);

const PAGE = 50;

export interface OrchestrationPage {
  items: ListItem[];
  nextCursor: string | null;
}

interface SearchFilter {
  /** One status or several, comma-separated (`failed,aborted`), as the URL and the API take them. */
  status?: string;
  text?: string;
  /** A service's name or `s_…` id: orchestrations with a task on it. */
  service?: string;
  since?: string;
  cursor?: string;
  limit?: number;
}

/** The GET /orchestrations/search path of a filter; text that looks like an id is an id prefix. */
export function searchPath(filter: SearchFilter): string {
  const text = filter.text?.trim();
  const isId = text?.startsWith('o_');
  return withQuery('/orchestrations/search', {
    status: filter.status || undefined,
    id: isId ? text : undefined,
    q: isId ? undefined : text,
    service: filter.service?.trim() || undefined,
    since: filter.since,
    cursor: filter.cursor,
    limit: String(filter.limit ?? PAGE),
  });
}

/** One page of GET /orchestrations/search, newest first. */
export function searchOrchestrations(filter: SearchFilter): Promise<OrchestrationPage> {
  return api.get<OrchestrationPage>(searchPath(filter));
}

/** The time ranges the list offers, kept in the URL as `?range=` (relative, so a shared link stays "the last 24 h"). */
const RANGES: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

/**
 * The list's filter from its URL (`?status=` one or several comma-separated, `?q=`, `?service=`, `?range=` 1h|24h|7d, `?limit=` 1–500 as
 * the API takes, 50 by default). The range's start is rounded down to the minute, so the preload and the
 * screen ask for the same page.
 */
export function listFilter(q: URLSearchParams): { status: string; text: string; service: string; range: string; since?: string; limit: number } {
  const range = q.get('range') ?? '';
  const span = RANGES[range];
  return {
    // Only the statuses the list knows, in its order: a hand-edited URL cannot make the API refuse the page.
    status: (q.get('status') ?? '').split(',').filter((s) => STATUSES.includes(s)).sort((a, b) => STATUSES.indexOf(a) - STATUSES.indexOf(b)).join(','),
    text: q.get('q') ?? '',
    service: q.get('service') ?? '',
    range: span ? range : '',
    ...(span ? { since: new Date(Math.floor((Date.now() - span) / 60_000) * 60_000).toISOString() } : {}),
    limit: Math.min(500, Math.max(1, Math.floor(Number(q.get('limit'))) || PAGE)),
  };
}

/**
 * The rows as one HTML string, set by the browser's parser in one go: Preact building 200 rows of
 * elements one by one took 2–3 times as long (bench/README.md, console). Every value is escaped; the
 * markup is what `<Status>` and the links make elsewhere, and clicks reach the app's link handler.
 * The table roles are explicit: wide screens lay the rows out as grid rows (styles.css), and a table
 * whose display is changed may lose its implicit semantics in some browsers.
 */
function rowsHtml(rows: ListItem[]): string {
  // A re-render with the same rows (the session arriving, a live refetch that changed nothing reuses
  // none of the objects, but a banner click or a theme change does) builds nothing.
  const zone = timeZone.value;
  if (lastRows.zone === zone && lastRows.items.length === rows.length && rows.every((o, i) => lastRows.items[i] === o)) return lastRows.html;
  let html = '';
  for (const o of rows) {
    const id = escapeHtml(o.id);
    const started = o.createdAt ?? o.timestamp;
    const duration = RUNNING.has(o.status) ? 'running' : formatDuration(Date.parse(o.timestamp) - Date.parse(started));
    html +=
      `<tr role="row" data-id="${id}"><td role="cell"><a class="row-link mono" href="/console/orchestrations/${escapeHtml(encodeURIComponent(o.id))}">${id}</a></td>` +
      `<td role="cell">${escapeHtml(o.action)}</td><td role="cell">${statusHtml(o.status)}</td><td role="cell">${escapeHtml(formatTime(started))}</td>` +
      `<td role="cell">${duration}</td><td role="cell">${escapeHtml(tasksText(o.tasks))}</td><td role="cell">${escapeHtml(compensationText(o.compensation))}</td></tr>`;
  }
  lastRows = { items: rows, zone, html };
  return html;
}
let lastRows: { items: ListItem[]; zone: string; html: string } = { items: [], zone: '', html: '' };

/** Tasks done of the plan's, e.g. `2/3`; a dash before there is a plan. */
export function tasksText(t: ListItem['tasks']): string {
  return t ? `${t.done}/${t.total}` : '—';
}

export function compensationText(c: ListItem['compensation']): string {
  if (!c || c.total === 0) return '—';
  if (c.active) return `undoing ${c.completed}/${c.total}`;
  if (c.failed > 0) return `${c.failed} of ${c.total} failed`;
  return `undone ${c.completed}/${c.total}`;
}

export function Orchestrations() {
  const filter = listFilter(route.value.query);
  const { status, text, service, range, since, limit } = filter;
  const chosen = new Set(status ? status.split(',') : []);
  const { value: first, error } = useLive(
    () => searchOrchestrations(filter),
    [status, text, service, range, limit],
    '*',
    undefined,
    () => takeAnswered<OrchestrationPage>(searchPath(filter)),
  );
  // Older pages, loaded on request; they do not change under the operator (finished rows rarely do).
  const [older, setOlder] = useState<{ key: string; items: ListItem[]; cursor: string | null } | null>(null);
  const key = `${status}|${text}|${service}|${range}|${limit}`;
  const more = older?.key === key ? older : null;
  const value = first ? [...first.items, ...(more?.items ?? []).filter((o) => !first.items.some((f) => f.id === o.id))] : undefined;
  const cursor = more ? more.cursor : (first?.nextCursor ?? null);
  // Rows that arrive while the operator is scrolled down wait behind a "N new" banner instead of moving
  // the rows under the cursor; at the top of the page they show at once.
  const seen = useRef<Set<string> | null>(null);
  const [, rerender] = useState(0);
  const all = value ?? [];
  const seenKey = useRef('');
  // A new filter is a new list: nothing in it is "new".
  if (value && (!seen.current || scrollY === 0 || seenKey.current !== key)) {
    seen.current = new Set(value.map((o) => o.id));
    seenKey.current = key;
  }
  const fresh = all.filter((o) => seen.current && !seen.current.has(o.id));
  const shown = all.filter((o) => seen.current?.has(o.id));
  const rows = shown;
  // A live update that changes the rows replaces them: the row that had the focus (j/k) gets it back.
  const body = useRef<HTMLTableSectionElement>(null);
  const focused = useRef<string | null>(null);
  focused.current = document.activeElement?.closest('tr[data-id]')?.getAttribute('data-id') ?? null;
  const html = rowsHtml(rows);
  useLayoutEffect(() => {
    const id = focused.current;
    focused.current = null;
    if (id && document.activeElement === document.body) body.current?.querySelector<HTMLElement>(`tr[data-id="${CSS.escape(id)}"] a`)?.focus();
  }, [html]);

  return (
    <Page title="Orchestrations">
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status{' '}
          {/* Several at once (Ctrl/⌘-click): the overview's "failed or aborted" tile opens both. "any" clears the rest. */}
          <select
            multiple
            size={4}
            title="Ctrl/⌘-click to pick several"
            onChange={(e) => {
              const picked = [...e.currentTarget.selectedOptions].map((o) => o.value);
              setQuery({ status: picked.includes('') ? undefined : picked.join(',') || undefined });
            }}
          >
            <option value="" selected={chosen.size === 0}>
              any
            </option>
            {STATUSES.map((s) => (
              <option value={s} selected={chosen.has(s)}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Started{' '}
          <select value={range} onChange={(e) => setQuery({ range: e.currentTarget.value || undefined })}>
            <option value="">any time</option>
            <option value="1h">last hour</option>
            <option value="24h">last 24 h</option>
            <option value="7d">last 7 days</option>
          </select>
        </label>
        <label>
          Service{' '}
          <input type="search" name="service" placeholder="name or s_… id" value={service} onChange={(e) => setQuery({ service: e.currentTarget.value || undefined })} />
        </label>
        <label>
          Search{' '}
          <input type="search" data-search placeholder="id prefix or action text" value={text} onInput={(e) => setQuery({ q: e.currentTarget.value })} />
        </label>
      </form>
      <ErrorNote error={error} />
      {fresh.length > 0 && (
        <button
          type="button"
          class="banner"
          onClick={() => {
            seen.current = new Set(all.map((o) => o.id));
            rerender((n) => n + 1);
          }}
        >
          {fresh.length} new — show
        </button>
      )}
      <div class="table-wrap">
        <table class="nav list" role="table">
          <caption class="sr-only">Orchestrations, newest first</caption>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">Id</th>
              <th scope="col" role="columnheader">Action</th>
              <th scope="col" role="columnheader">Status</th>
              <th scope="col" role="columnheader">Started</th>
              <th scope="col" role="columnheader">Duration</th>
              <th scope="col" role="columnheader">Tasks</th>
              <th scope="col" role="columnheader">Compensation</th>
            </tr>
          </thead>
          <tbody role="rowgroup" ref={body} dangerouslySetInnerHTML={{ __html: html }} />
        </table>
      </div>
      {value && rows.length === 0 && <p class="muted">No orchestration matches these filters.</p>}
      {cursor && (
        <button
          type="button"
          onClick={() =>
            void searchOrchestrations({ status, text, service, since, cursor, limit }).then((page) => {
              const items = [...(more?.items ?? []), ...page.items];
              seen.current = new Set([...(seen.current ?? []), ...page.items.map((o) => o.id)]);
              setOlder({ key, items, cursor: page.nextCursor });
            })
          }
        >
          Load older
        </button>
      )}
      {!value && !error && <p class="muted">Loading…</p>}
    </Page>
  );
}
