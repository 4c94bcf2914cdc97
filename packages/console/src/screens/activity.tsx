import { api, withQuery } from '../api.js';
import { ErrorNote, Page, useLive } from '../components.js';
import { formatTime } from '../format.js';
import { route, setQuery } from '../router.js';

export interface AuditEntry {
  id: string;
  at: string;
  keyId: string;
  keyLabel: string | null;
  client: string;
  action: string;
  itemKind: string | null;
  itemId: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
}

const itemHref = (e: AuditEntry) =>
  e.itemKind === 'orchestration' ? `/console/orchestrations/${e.itemId}` : e.itemKind === 'compensation' ? `/console/compensations/${e.itemId}` : `/console/activity?item=${e.itemId}`;

const short = (v: unknown) => {
  const text = JSON.stringify(v) ?? 'null';
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

/** What changed, field by field (`field: before → after`); the whole values when either is not an object. */
export function changes(before: unknown, after: unknown): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(before) || !isObject(after)) return [`${short(before)} → ${short(after)}`];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  return changed.length === 0 ? ['no change'] : changed.map((k) => `${k}: ${short(before[k])} → ${short(after[k])}`);
}

export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <div class="table-wrap">
      <table data-testid="audit">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">From</th>
            <th scope="col">What</th>
            <th scope="col">Item</th>
            <th scope="col">Reason</th>
            <th scope="col">Changes (before → after)</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr data-audit={e.id}>
              <td class="nowrap">{formatTime(e.at)}</td>
              <td>
                {e.keyLabel ?? 'key'} <span class="mono muted">{e.keyId}</span>
              </td>
              <td class="nowrap">{e.client}</td>
              <td class="nowrap">{e.action}</td>
              <td>{e.itemId ? <a href={itemHref(e)} class="mono">{e.itemId}</a> : '—'}</td>
              <td>{e.reason ?? '—'}</td>
              <td class="mono small">
                <ul class="changes">
                  {changes(e.before, e.after).map((c) => (
                    <li>{c}</li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Activity() {
  const q = route.value.query;
  const filter = { action: q.get('action') ?? '', client: q.get('client') ?? '', item: q.get('item') ?? '' };
  const { value, error } = useLive(() => api.get<{ entries: AuditEntry[] }>(withQuery('/audit', { ...filter, limit: '200' })), [filter.action, filter.client, filter.item]);
  return (
    <Page title="Activity">
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Action <input data-search value={filter.action} placeholder="compensation.resolve" onChange={(e) => setQuery({ action: e.currentTarget.value })} />
        </label>
        <label>
          From{' '}
          <select value={filter.client} onChange={(e) => setQuery({ client: e.currentTarget.value })}>
            <option value="">anywhere</option>
            <option value="console">console</option>
            <option value="cli">CLI</option>
            <option value="api">API</option>
          </select>
        </label>
        <label>
          Item <input value={filter.item} placeholder="o_…, c_…, wh_…" onChange={(e) => setQuery({ item: e.currentTarget.value })} />
        </label>
      </form>
      <ErrorNote error={error} />
      <AuditTable entries={value?.entries ?? []} />
      {value && value.entries.length === 0 && <p class="muted">No operator changes match.</p>}
    </Page>
  );
}
