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
            <th scope="col">Before → after</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr data-audit={e.id}>
              <td>{formatTime(e.at)}</td>
              <td>
                {e.keyLabel ?? 'key'} <span class="mono muted">{e.keyId}</span>
              </td>
              <td>{e.client}</td>
              <td>{e.action}</td>
              <td>{e.itemId ? <a href={itemHref(e)} class="mono">{e.itemId}</a> : '—'}</td>
              <td>{e.reason ?? '—'}</td>
              <td class="mono small">
                {JSON.stringify(e.before)} → {JSON.stringify(e.after)}
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
