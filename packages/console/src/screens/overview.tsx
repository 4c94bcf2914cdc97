import { api } from '../api.js';
import { ErrorNote, Page, useLive } from '../components.js';
import { age } from '../format.js';
import type { FailedCompensation } from './compensations.js';
import { searchOrchestrations, type ListItem } from './orchestrations.js';
import type { Endpoint } from './webhooks.js';

interface Overview {
  pending: { count: number; isOverLimit: boolean; oldest?: FailedCompensation };
  recentFailures: ListItem[];
  /** Endpoints whose circuit breaker is not `active`: failing (or probing), paused or disabled. */
  troubledEndpoints: Endpoint[];
}

const DAY_MS = 86_400_000;

async function loadOverview(): Promise<Overview> {
  const since = new Date(Date.now() - DAY_MS).toISOString();
  // Counted by the engine, not fetched: the queue may hold thousands.
  const [pending, failed, aborted, endpoints] = await Promise.all([
    api.get<{ count: number; isOverLimit: boolean }>('/compensation-failures/count'),
    searchOrchestrations({ status: 'failed', since, limit: 500 }),
    searchOrchestrations({ status: 'aborted', since, limit: 500 }),
    // The breaker's own state, as the engine holds it (a failing endpoint's events are held, not failed).
    api.get<Endpoint[]>('/webhooks'),
  ]);
  return {
    pending: {
      ...pending,
      oldest:
        pending.count > 0
          ? ((await api.get<FailedCompensation[] | null>('/compensation-failures?resolution=pending&order=oldest&limit=1')) ?? [])[0]
          : undefined,
    },
    recentFailures: [...failed.items, ...aborted.items],
    troubledEndpoints: endpoints.filter((e) => e.state !== 'active'),
  };
}

/** What needs a human now (Camunda Operate's incidents page): each tile opens the filtered list. */
export function OverviewPage() {
  const { value, error } = useLive(loadOverview, []);
  const groups = new Map<string, number>();
  for (const o of value?.recentFailures ?? []) {
    const reason = o.status === 'aborted' ? 'aborted' : typeof o.error === 'object' && o.error ? String((o.error as { error?: string }).error ?? 'failed').replace(/^task\d+ /, '') : 'failed';
    groups.set(reason, (groups.get(reason) ?? 0) + 1);
  }
  const byState = new Map<string, number>();
  for (const e of value?.troubledEndpoints ?? []) {
    const state = e.state === 'probing' ? 'failing' : e.state;
    byState.set(state, (byState.get(state) ?? 0) + 1);
  }
  return (
    <Page title="Needs attention">
      <ErrorNote error={error} />
      <div class="tiles">
        <a class="tile" href="/console/compensations">
          <strong data-tile="pending">{value ? value.pending.count : '…'}</strong>
          <span>pending failed compensations</span>
          {value?.pending.oldest && <span class="muted">oldest {age(value.pending.oldest.timestamp)} ago</span>}
        </a>
        <a class="tile" href="/console/orchestrations?status=failed">
          <strong>{value?.recentFailures.length ?? '…'}</strong>
          <span>orchestrations failed or aborted in the last 24 h</span>
        </a>
        <a class="tile" href="/console/webhooks">
          <strong data-tile="endpoints">{value ? value.troubledEndpoints.length : '…'}</strong>
          <span>endpoints failing, paused or disabled</span>
          {byState.size > 0 && (
            <span class="muted" data-tile-detail="endpoints">
              {[...byState].map(([state, n]) => `${n} ${state}`).join(' · ')}
            </span>
          )}
        </a>
      </div>
      {groups.size > 0 && (
        <>
          <h2>Failures in the last 24 h, by error</h2>
          <ul class="groups">
            {[...groups].map(([reason, n]) => (
              <li>
                <a href={reason === 'aborted' ? '/console/orchestrations?status=aborted' : '/console/orchestrations?status=failed'}>{n}</a> × {reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </Page>
  );
}
