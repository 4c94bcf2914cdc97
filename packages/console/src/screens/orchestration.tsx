import { useEffect, useState } from 'preact/hooks';
import type { FunctionComponent } from 'preact';
import { api } from '../api.js';
import { canOperate, CliHint, CopyButton, ErrorNote, Json, Page, ReadOnlyNote, Status, useLive } from '../components.js';
import type { Dag, DagNode } from '../dag.js';
import { formatTime, shellQuote } from '../format.js';
import { route, setQuery } from '../router.js';
import { AuditTable, type AuditEntry } from './activity.js';
import { DeliveryTable, type Delivery } from './webhooks.js';

interface StatusEvent {
  taskId: string;
  status: string;
  timestamp: string;
  error?: string;
}
interface CompensationEvent {
  taskId: string;
  status: string;
  attempt: number;
  maxAttempts: number;
  timestamp: string;
  error?: string;
  isManualRetry?: boolean;
}
interface Task {
  id: string;
  serviceName: string;
  status: string;
  attempt?: number;
  maxAttempts?: number;
  input: unknown;
  output?: unknown;
  error?: string;
  statusHistory: StatusEvent[];
  compensation?: { status: string; attempt: number; max_attempts: number };
  compensationHistory?: CompensationEvent[];
  isRevertible: boolean;
}
interface Inspection {
  id: string;
  status: string;
  action: string;
  error?: unknown;
  createdAt?: string;
  timestamp: string;
  tasks?: Task[];
}
interface Detail {
  inspection: Inspection;
  plan: { id: string; input: Record<string, unknown> }[];
  audit: AuditEntry[];
  deliveries: Delivery[];
}

const RUNNING = new Set(['pending', 'processing']);

async function loadDetail(id: string): Promise<Detail> {
  const [inspection, orchestration, audit, deliveries] = await Promise.all([
    api.get<Inspection>(`/orchestrations/inspections/${encodeURIComponent(id)}`),
    api.get<{ plan?: { tasks: { id: string; input: Record<string, unknown> }[] } }>(`/orchestrations/${encodeURIComponent(id)}`),
    api.get<{ entries: AuditEntry[] }>(`/audit?item=${encodeURIComponent(id)}`),
    // Filtered by the engine: the project's latest deliveries would miss an older orchestration's.
    api.get<{ deliveries: Delivery[] }>(`/webhooks/deliveries?orchestration_id=${encodeURIComponent(id)}&limit=200`),
  ]);
  return {
    inspection,
    plan: orchestration.plan?.tasks ?? [],
    audit: audit.entries,
    deliveries: deliveries.deliveries,
  };
}

/** Edges from `$taskN.field` references in each task's input. */
function edgesOf(plan: Detail['plan']): [string, string][] {
  const edges: [string, string][] = [];
  for (const t of plan) {
    for (const ref of JSON.stringify(t.input).matchAll(/\$(task\d+)\./g)) {
      const from = ref[1]!;
      if (from !== t.id && !edges.some(([a, b]) => a === from && b === t.id)) edges.push([from, t.id]);
    }
  }
  return edges;
}

/** Tasks that were undone, in the order their compensation started. */
export function undoOrder(tasks: Task[]): Task[] {
  const first = (t: Task) => t.compensationHistory?.[0]?.timestamp ?? '';
  return tasks.filter((t) => (t.compensationHistory?.length ?? 0) > 0).sort((a, b) => first(a).localeCompare(first(b)));
}

export function Orchestration({ id }: { id: string }) {
  const q = route.value.query;
  const view = q.get('view') ?? 'graph';
  const selected = q.get('task') ?? undefined;
  const failuresOnly = q.get('failures') === '1';
  const isLive = (d: Detail) => RUNNING.has(d.inspection.status) || (d.inspection.tasks ?? []).some((t) => t.compensation && ['pending', 'processing', 'waiting'].includes(t.compensation.status));
  const { value, error } = useLive(() => loadDetail(id), [id], id, isLive);
  const [DagView, setDagView] = useState<FunctionComponent<Parameters<typeof Dag>[0]> | null>(null);
  useEffect(() => {
    void import('../dag.js').then((m) => setDagView(() => m.Dag));
  }, []);

  if (!value) {
    return (
      <Page title={`Orchestration ${id}`}>
        <ErrorNote error={error} />
        {!error && <p class="muted">Loading…</p>}
      </Page>
    );
  }
  const o = value.inspection;
  const tasks = o.tasks ?? [];
  const undone = undoOrder(tasks);
  const nodes: DagNode[] = tasks.map((t) => {
    const order = undone.indexOf(t) + 1;
    return { id: t.id, label: t.serviceName, status: t.status, ...(order > 0 ? { undoneOrder: order } : {}) };
  });
  const task = tasks.find((t) => t.id === selected);
  const journal = tasks
    .flatMap((t) => [
      ...t.statusHistory.map((e) => ({ at: e.timestamp, what: `${t.id} ${e.status}`, isFailure: e.status === 'failed', error: e.error })),
      ...(t.compensationHistory ?? []).map((e) => ({ at: e.timestamp, what: `${t.id} compensation ${e.status} (attempt ${e.attempt}/${e.maxAttempts})`, isFailure: e.status === 'failed', error: e.error })),
    ])
    .filter((e) => !failuresOnly || e.isFailure)
    .sort((a, b) => a.at.localeCompare(b.at));

  return (
    <Page title={`Orchestration ${o.id}`} actions={<CopyButton text={o.id} label="Copy id" />}>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Status value={o.status} />
        </dd>
        <dt>Action</dt>
        <dd>{o.action}</dd>
        <dt>Started</dt>
        <dd>{formatTime(o.createdAt ?? o.timestamp)}</dd>
        {o.error != null && (
          <>
            <dt>Error</dt>
            <dd class="error-text">{typeof o.error === 'object' ? ((o.error as { error?: string }).error ?? JSON.stringify(o.error)) : String(o.error)}</dd>
          </>
        )}
      </dl>
      {RUNNING.has(o.status) && <AbortForm id={o.id} />}

      <h2>Tasks</h2>
      <div class="tabs" role="group" aria-label="Task view">
        <button type="button" aria-pressed={view === 'graph'} onClick={() => setQuery({ view: undefined })}>
          Graph
        </button>
        <button type="button" aria-pressed={view === 'table'} onClick={() => setQuery({ view: 'table' })}>
          Table
        </button>
      </div>
      {view === 'graph' ? (
        <div class="dag-wrap">{DagView ? <DagView nodes={nodes} edges={edgesOf(value.plan)} selected={selected} onSelect={(t) => setQuery({ task: t })} /> : <p class="muted">Drawing…</p>}</div>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Service</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Compensation</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((t) => (
                <tr data-task={t.id}>
                  <td>
                    <a href={`/console/orchestrations/${o.id}?view=table&task=${t.id}`}>{t.id}</a>
                  </td>
                  <td>{t.serviceName}</td>
                  <td>
                    <Status value={t.status} />
                  </td>
                  <td>
                    {t.attempt ?? 0}/{t.maxAttempts ?? '—'}
                  </td>
                  <td>{t.compensation ? <Status value={t.compensation.status} /> : t.isRevertible ? 'revertible' : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {task && <TaskPanel task={task} />}

      <h2>Timeline</h2>
      <div class="lanes">
        <div class="lane" aria-label="Task attempts">
          <h3>Tasks</h3>
          <ol>
            {tasks.map((t) => (
              <li>
                <span class="mono">{t.id}</span> {t.serviceName} — <Status value={t.status} /> {t.statusHistory.length > 0 && <span class="muted">({t.statusHistory.map((e) => e.status).join(' → ')})</span>}
              </li>
            ))}
          </ol>
        </div>
        <div class="lane compensation-lane" aria-label="Compensation lane">
          <h3>Compensation lane: undone in this order</h3>
          {undone.length === 0 ? (
            <p class="muted">Nothing was undone.</p>
          ) : (
            <ol data-testid="undo-order">
              {undone.map((t) => (
                <li data-task={t.id}>
                  <span class="mono">{t.id}</span> {t.serviceName} — <Status value={t.compensation?.status ?? 'pending'} />{' '}
                  <span class="muted">
                    {(t.compensationHistory ?? []).map((e) => `attempt ${e.attempt}/${e.maxAttempts} ${e.status}${e.error ? `: ${e.error}` : ''} at ${formatTime(e.timestamp)}`).join('; ')}
                  </span>
                </li>
              ))}
            </ol>
          )}
        </div>
      </div>

      <h2>Journal</h2>
      <label class="inline">
        <input type="checkbox" checked={failuresOnly} onChange={(e) => setQuery({ failures: e.currentTarget.checked ? '1' : undefined })} /> Failures only
      </label>
      <ol class="journal">
        {journal.map((e) => (
          <li class={e.isFailure ? 'failure' : ''}>
            <time>{formatTime(e.at)}</time> {e.what}
            {e.error ? ` — ${e.error}` : ''}
          </li>
        ))}
      </ol>

      <h2>Webhook deliveries</h2>
      {value.deliveries.length === 0 ? <p class="muted">None.</p> : <DeliveryTable deliveries={value.deliveries} />}

      <h2>Activity</h2>
      {value.audit.length === 0 ? <p class="muted">No operator changes.</p> : <AuditTable entries={value.audit} />}

      <h2>Raw</h2>
      <Json value={o} label="Inspection JSON" />
      <ErrorNote error={error} />
    </Page>
  );
}

function TaskPanel({ task }: { task: Task }) {
  return (
    <section class="panel" aria-label={`Task ${task.id}`}>
      <h3>
        Task {task.id} · {task.serviceName} <Status value={task.status} />
      </h3>
      {task.error && <p class="error-text">{task.error}</p>}
      <div class="grid2">
        <Json value={task.input} label="Input" />
        <Json value={task.output ?? null} label="Output" />
      </div>
      <h4>Attempts</h4>
      <ol>
        {task.statusHistory.map((e) => (
          <li>
            <time>{formatTime(e.timestamp)}</time> <Status value={e.status} />
            {e.error ? ` — ${e.error}` : ''}
          </li>
        ))}
      </ol>
    </section>
  );
}

function AbortForm({ id }: { id: string }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [isBusy, setBusy] = useState(false);
  return (
    <form
      class="action"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        api
          .post(`/orchestrations/${id}/abort`, { reason })
          .catch(setError)
          .finally(() => setBusy(false));
      }}
    >
      <ReadOnlyNote />
      <label for="abort-reason">Abort reason</label>
      <input id="abort-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} required disabled={!canOperate()} />
      <button type="submit" class="danger" disabled={!canOperate() || isBusy || !reason.trim()}>
        Abort
      </button>
      <ErrorNote error={error} />
      <CliHint command={`orra abort ${id} --reason ${shellQuote(reason || 'why')}`} />
    </form>
  );
}
