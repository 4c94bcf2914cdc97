import { useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
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

const GROUPS = ['pending', 'processing', 'completed', 'failed', 'notActionable', 'aborted'] as const;
const STATUSES = ['pending', 'processing', 'completed', 'failed', 'not_actionable', 'aborted'];
const RUNNING = new Set(['pending', 'processing']);

/** GET /orchestrations (orra's grouped shape, newest 1,000) flattened, newest first. */
export async function loadOrchestrations(): Promise<ListItem[]> {
  const grouped = await api.get<Partial<Record<(typeof GROUPS)[number], ListItem[]>>>('/orchestrations');
  return GROUPS.flatMap((g) => grouped[g] ?? []).sort((a, b) => (b.createdAt ?? b.timestamp).localeCompare(a.createdAt ?? a.timestamp));
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
  const { value, error } = useLive(loadOrchestrations, []);
  // Rows that arrive while the operator is scrolled down wait behind a "N new" banner instead of moving
  // the rows under the cursor; at the top of the page they show at once.
  const seen = useRef<Set<string> | null>(null);
  const [, rerender] = useState(0);
  const all = value ?? [];
  if (value && (!seen.current || scrollY === 0)) seen.current = new Set(value.map((o) => o.id));
  const fresh = all.filter((o) => seen.current && !seen.current.has(o.id));
  const shown = all.filter((o) => seen.current?.has(o.id));
  const needle = text.toLowerCase();
  const rows = shown.filter((o) => (!status || o.status === status) && (!needle || o.id.toLowerCase().startsWith(needle) || o.action.toLowerCase().includes(needle)));

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
      {!value && !error && <p class="muted">Loading…</p>}
    </Page>
  );
}
