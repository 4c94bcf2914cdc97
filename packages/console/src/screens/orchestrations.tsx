import { useRef, useState } from 'preact/hooks';
import { api, withQuery } from '../api.js';
import { ErrorNote, Page, Status, useLive } from '../components.js';
import { formatDuration, formatTime } from '../format.js';
import { route, setQuery } from '../router.js';

export interface ListItem {
  id: string;
  action: string;
  status: string;
  error?: unknown;
  timestamp: string;
  createdAt?: string;
  compensation?: { active: boolean; total: number; completed: number; failed: number };
}

const STATUSES = ['pending', 'processing', 'completed', 'failed', 'not_actionable', 'aborted'];
const RUNNING = new Set(['pending', 'processing']);

const PAGE = 50;

export interface OrchestrationPage {
  items: ListItem[];
  nextCursor: string | null;
}

/** One page of GET /orchestrations/search, newest first; text that looks like an id is an id prefix. */
export function searchOrchestrations(filter: { status?: string; text?: string; since?: string; cursor?: string; limit?: number }): Promise<OrchestrationPage> {
  const text = filter.text?.trim();
  const isId = text?.startsWith('o_');
  return api.get<OrchestrationPage>(
    withQuery('/orchestrations/search', {
      status: filter.status,
      id: isId ? text : undefined,
      q: isId ? undefined : text,
      since: filter.since,
      cursor: filter.cursor,
      limit: String(filter.limit ?? PAGE),
    }),
  );
}

export function compensationText(c: ListItem['compensation']): string {
  if (!c || c.total === 0) return '—';
  if (c.active) return `undoing ${c.completed}/${c.total}`;
  if (c.failed > 0) return `${c.failed} of ${c.total} failed`;
  return `undone ${c.completed}/${c.total}`;
}

export function Orchestrations() {
  const q = route.value.query;
  const status = q.get('status') ?? '';
  const text = q.get('q') ?? '';
  // Rows per page, from the URL (`?limit=`, 1–500 as the API takes; 50 by default).
  const limit = Math.min(500, Math.max(1, Math.floor(Number(q.get('limit'))) || PAGE));
  const { value: first, error } = useLive(() => searchOrchestrations({ status, text, limit }), [status, text, limit]);
  // Older pages, loaded on request; they do not change under the operator (finished rows rarely do).
  const [older, setOlder] = useState<{ key: string; items: ListItem[]; cursor: string | null } | null>(null);
  const key = `${status}|${text}|${limit}`;
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

  return (
    <Page title="Orchestrations">
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setQuery({ status: e.currentTarget.value })}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s.replace('_', ' ')}</option>
            ))}
          </select>
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
        <table class="nav">
          <caption class="sr-only">Orchestrations, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Action</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Compensation</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((o) => (
              <tr key={o.id} data-id={o.id}>
                <td>
                  <a class="row-link mono" href={`/console/orchestrations/${o.id}`}>
                    {o.id}
                  </a>
                </td>
                <td>{o.action}</td>
                <td>
                  <Status value={o.status} />
                </td>
                <td>{formatTime(o.createdAt ?? o.timestamp)}</td>
                <td>{RUNNING.has(o.status) ? 'running' : formatDuration(Date.parse(o.timestamp) - Date.parse(o.createdAt ?? o.timestamp))}</td>
                <td>{compensationText(o.compensation)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {value && rows.length === 0 && <p class="muted">No orchestration matches these filters.</p>}
      {cursor && (
        <button
          type="button"
          onClick={() =>
            void searchOrchestrations({ status, text, cursor, limit }).then((page) => {
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
