import { api } from '../api.js';
import { ErrorNote, Page, useLive } from '../components.js';
import { age } from '../format.js';
import type { FailedCompensation } from './compensations.js';
import type { Service } from './services.js';
import type { Endpoint } from './webhooks.js';

/** `GET /orchestrations/failure-counts`: counted and grouped by the engine (docs/http-api.md). */
interface FailureCounts {
  failed: number;
  aborted: number;
  groups: { status: 'failed' | 'aborted'; service: string | null; error: string | null; count: number }[];
  notListed: number;
}

interface Overview {
  pending: { count: number; isOverLimit: boolean; oldest?: FailedCompensation };
  failures: FailureCounts;
  /** Endpoints whose circuit breaker is not `active`: failing (or probing), paused or disabled. */
  troubledEndpoints: Endpoint[];
  /** Connected (to any engine process) against registered, and how many tasks wait for one to connect. */
  services: { connected: number; registered: number; tasksWaiting: number };
}

/**
 * What the overview reads first, counted by the engine rather than fetched (the queue and the day's
 * failures may hold thousands), and the endpoints with their breaker's own state (a failing endpoint's
 * events are held, not failed). main.tsx preloads these.
 */
export const OVERVIEW_PATHS = ['/compensation-failures/count', '/orchestrations/failure-counts', '/webhooks'] as const;

async function loadOverview(): Promise<Overview> {
  const [pending, failures, endpoints, services] = await Promise.all([
    api.get<{ count: number; isOverLimit: boolean }>(OVERVIEW_PATHS[0]),
    api.get<FailureCounts>(OVERVIEW_PATHS[1]),
    api.get<Endpoint[]>(OVERVIEW_PATHS[2]),
    api.get<Service[]>('/services'),
  ]);
  return {
    pending: {
      ...pending,
      oldest:
        pending.count > 0
          ? ((await api.get<FailedCompensation[] | null>('/compensation-failures?resolution=pending&order=oldest&limit=1')) ?? [])[0]
          : undefined,
    },
    failures,
    troubledEndpoints: endpoints.filter((e) => e.state !== 'active'),
    services: {
      connected: services.filter((s) => s.connection.state === 'connected').length,
      registered: services.length,
      tasksWaiting: services.reduce((n, s) => n + (s.connection.state === 'disconnected' ? s.tasks.waiting : 0), 0),
    },
  };
}

/** The error as an operator reads it: the failing task's id (`task2 `) says nothing next to the service. */
function reasonText(g: FailureCounts['groups'][number]): string {
  if (g.error === null) return g.status === 'aborted' ? 'no reason given' : 'no error recorded';
  return g.error.replace(/^task\d+ /, '');
}

/** What needs a human now (Camunda Operate's incidents page): each tile opens the filtered list. */
export function OverviewPage() {
  const { value, error } = useLive(loadOverview, []);
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
        <a class="tile" href="/console/orchestrations?status=failed,aborted&range=24h">
          <strong data-tile="failures">{value ? value.failures.failed + value.failures.aborted : '…'}</strong>
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
        <a class="tile" href="/console/services">
          <strong data-tile="services">{value ? `${value.services.connected} of ${value.services.registered}` : '…'}</strong>
          <span>services and agents connected</span>
          {value && value.services.tasksWaiting > 0 && (
            <span class="muted" data-tile-detail="services">
              {value.services.tasksWaiting} {value.services.tasksWaiting === 1 ? 'task waits' : 'tasks wait'} for one to connect
            </span>
          )}
        </a>
      </div>
      {value && value.failures.groups.length > 0 && (
        <>
          <h2>Failures in the last 24 h, by service and error</h2>
          <ul class="groups" data-groups="failures">
            {value.failures.groups.map((g) => (
              <li>
                <a href={`/console/orchestrations?status=${g.status}&range=24h${g.service ? `&service=${encodeURIComponent(g.service)}` : ''}`}>{g.count}</a> × {g.status === 'aborted' ? 'aborted' : (g.service ?? 'unknown service')}
                {': '}
                {reasonText(g)}
              </li>
            ))}
            {value.failures.notListed > 0 && <li class="muted">{value.failures.notListed} more in smaller groups</li>}
          </ul>
        </>
      )}
    </Page>
  );
}
