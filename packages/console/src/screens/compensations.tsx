import { useState } from 'preact/hooks';
import { api, withQuery } from '../api.js';
import { canOperate, CliHint, CopyButton, ErrorNote, Json, Page, ReadOnlyNote, Status, useLive } from '../components.js';
import { age, formatTime, shellQuote } from '../format.js';
import { navigate, route, setQuery } from '../router.js';

export interface FailedCompensation {
  id: string;
  orchestrationId: string;
  taskId: string;
  serviceId: string;
  serviceName: string;
  status: string;
  resolutionState: string;
  failure?: string;
  resolution?: string;
  attemptsMade: number;
  maxAttempts: number;
  timestamp: string;
  resolvedAt: string | null;
  compensationData: unknown;
  audit?: { timestamp: string; apiKeyId: string; action: string; reason?: string; previousState: string; newState: string }[];
}

/** Pending first, oldest first (the queue is worked from its oldest item). */
export function queueOrder(a: FailedCompensation, b: FailedCompensation): number {
  const rank = (c: FailedCompensation) => (c.resolutionState === 'pending' ? 0 : 1);
  return rank(a) - rank(b) || a.timestamp.localeCompare(b.timestamp);
}

export function Compensations() {
  const q = route.value.query;
  const resolution = q.get('resolution') ?? 'pending';
  const service = q.get('service') ?? '';
  const orchestration = q.get('orchestration') ?? '';
  const { value, error } = useLive(
    async () => ((await api.get<FailedCompensation[] | null>(withQuery('/compensation-failures', { resolution: resolution === 'all' ? undefined : resolution, service, orchestration }))) ?? []).sort(queueOrder),
    [resolution, service, orchestration],
  );
  return (
    <Page title="Failed compensations">
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Resolution{' '}
          <select value={resolution} onChange={(e) => setQuery({ resolution: e.currentTarget.value === 'pending' ? undefined : e.currentTarget.value })}>
            {['pending', 'resolved', 'ignored', 'all'].map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Service <input data-search value={service} placeholder="name or s_…" onChange={(e) => setQuery({ service: e.currentTarget.value })} />
        </label>
        <label>
          Orchestration <input value={orchestration} placeholder="o_…" onChange={(e) => setQuery({ orchestration: e.currentTarget.value })} />
        </label>
      </form>
      <ErrorNote error={error} />
      <div class="table-wrap">
        <table class="nav">
          <caption class="sr-only">Failed compensations, pending first, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Service</th>
              <th scope="col">Orchestration</th>
              <th scope="col">Resolution</th>
              <th scope="col">Failed</th>
              <th scope="col">Failure</th>
            </tr>
          </thead>
          <tbody>
            {(value ?? []).map((c) => (
              <tr data-id={c.id}>
                <td>
                  <a class="row-link mono" href={`/console/compensations/${c.id}`}>
                    {c.id}
                  </a>
                </td>
                <td>{c.serviceName}</td>
                <td>
                  <a class="mono" href={`/console/orchestrations/${c.orchestrationId}`}>
                    {c.orchestrationId}
                  </a>
                </td>
                <td>
                  <Status value={c.resolutionState} />
                </td>
                <td title={formatTime(c.timestamp)}>{age(c.timestamp)} ago</td>
                <td>{c.failure ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {value && value.length === 0 && <p class="muted">Nothing here. </p>}
      {resolution === 'pending' && <BulkForm service={service} orchestration={orchestration} />}
    </Page>
  );
}

function BulkForm({ service, orchestration }: { service: string; orchestration: string }) {
  const [action, setAction] = useState<'resolve' | 'ignore'>('resolve');
  const [reason, setReason] = useState('');
  const [count, setCount] = useState<number | null>(null);
  const [state, setState] = useState<{ error?: unknown; progress?: string; done?: string }>({});
  const filter = { service: service || undefined, orchestration: orchestration || undefined };
  const hasFilter = Boolean(service || orchestration);
  return (
    <section class="panel" aria-labelledby="bulk-title">
      <h2 id="bulk-title">Bulk resolve or ignore</h2>
      <ReadOnlyNote />
      {!hasFilter && <p class="muted">Filter by a service or an orchestration first: an empty filter is refused.</p>}
      <div class="action">
        <label>
          Action{' '}
          <select value={action} onChange={(e) => setAction(e.currentTarget.value as 'resolve' | 'ignore')} disabled={!canOperate()}>
            <option value="resolve">resolve</option>
            <option value="ignore">ignore</option>
          </select>
        </label>
        <label for="bulk-reason">Reason</label>
        <input id="bulk-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} disabled={!canOperate()} />
        <button
          type="button"
          disabled={!canOperate() || !hasFilter}
          onClick={() => {
            setState({});
            api
              .get<{ count: number; isOverLimit: boolean; limit: number }>(withQuery('/compensation-failures/count', filter))
              .then((r) => {
                if (r.isOverLimit) setState({ error: `more than ${r.limit} match: narrow the filter` });
                else setCount(r.count);
              })
              .catch((error) => setState({ error }));
          }}
        >
          Count
        </button>
      </div>
      {count !== null && (
        <div class="confirm" role="alertdialog" aria-labelledby="bulk-confirm">
          <p id="bulk-confirm">
            The server counted <strong data-bulk-count>{count}</strong> pending failed compensations for this filter. {action === 'resolve' ? 'Resolve' : 'Ignore'} all {count}?
          </p>
          <button
            type="button"
            class="danger"
            disabled={!reason.trim() || count === 0}
            onClick={() => {
              setState({ progress: `${action === 'resolve' ? 'Resolving' : 'Ignoring'} ${count}…` });
              api
                .post<{ count: number }>('/compensation-failures/bulk', { action, reason, filter, expectedCount: count })
                .then((r) => {
                  setCount(null);
                  setState({ done: `${r.count} ${action === 'resolve' ? 'resolved' : 'ignored'}.` });
                })
                .catch((error) => setState({ error }));
            }}
          >
            Confirm {count}
          </button>{' '}
          <button type="button" onClick={() => setCount(null)}>
            Cancel
          </button>
          {!reason.trim() && <p class="muted">A reason is required.</p>}
        </div>
      )}
      {state.progress && !state.done && !state.error && <p role="status">{state.progress}</p>}
      {state.done && (
        <p role="status" class="ok">
          {state.done}
        </p>
      )}
      <ErrorNote error={state.error} />
      <CliHint
        label="API"
        command={`curl -X POST $ORRA/compensation-failures/bulk -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d ${shellQuote(JSON.stringify({ action, reason: reason || 'why', filter, expectedCount: count ?? 0 }))}`}
      />
    </section>
  );
}

export function Compensation({ id }: { id: string }) {
  const { value, error } = useLive(() => api.get<FailedCompensation>(`/compensation-failures/${encodeURIComponent(id)}`), [id], id);
  if (!value) {
    return (
      <Page title={`Failed compensation ${id}`}>
        <ErrorNote error={error} />
        {!error && <p class="muted">Loading…</p>}
      </Page>
    );
  }
  const c = value;
  return (
    <Page title={`Failed compensation ${c.id}`} actions={<CopyButton text={c.id} label="Copy id" />}>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Status value={c.status} />
        </dd>
        <dt>Resolution</dt>
        <dd data-resolution={c.resolutionState}>
          <Status value={c.resolutionState} />
        </dd>
        <dt>Orchestration</dt>
        <dd>
          <a class="mono" href={`/console/orchestrations/${c.orchestrationId}`}>
            {c.orchestrationId}
          </a>
        </dd>
        <dt>Task</dt>
        <dd>{c.taskId}</dd>
        <dt>Service</dt>
        <dd>
          {c.serviceName} <span class="mono muted">{c.serviceId}</span>
        </dd>
        <dt>Attempts</dt>
        <dd>
          {c.attemptsMade}/{c.maxAttempts}
        </dd>
        <dt>Failed</dt>
        <dd>{formatTime(c.timestamp)}</dd>
        <dt>Failure</dt>
        <dd class="error-text">{c.failure ?? '—'}</dd>
        {c.resolution && (
          <>
            <dt>Resolution note</dt>
            <dd>{c.resolution}</dd>
          </>
        )}
      </dl>
      <Actions c={c} />
      <h2>History</h2>
      {(c.audit ?? []).length === 0 ? (
        <p class="muted">No operator changes yet.</p>
      ) : (
        <ol class="journal" data-testid="comp-audit">
          {(c.audit ?? []).map((a) => (
            <li>
              <time>{formatTime(a.timestamp)}</time> {a.action} by key <span class="mono">{a.apiKeyId}</span>: {a.previousState} → {a.newState}
              {a.reason ? ` — ${a.reason}` : ''}
            </li>
          ))}
        </ol>
      )}
      <Json value={c.compensationData} label="Compensation data" />
    </Page>
  );
}

function Actions({ c }: { c: FailedCompensation }) {
  const [reason, setReason] = useState('');
  const [state, setState] = useState<{ error?: unknown; message?: string; isBusy?: boolean }>({});
  const dispose = (action: 'resolve' | 'ignore') => {
    if (!reason.trim()) return setState({ error: `A reason is required to ${action}.` });
    setState({ isBusy: true });
    api
      .post<FailedCompensation>(`/compensation-failures/${c.id}/${action}`, { reason })
      .then((r) => setState({ message: `Now ${r.resolutionState}.` }))
      .catch((error) => setState({ error }));
  };
  const retry = () => {
    setState({ isBusy: true, message: `Retrying: attempt ${c.attemptsMade + 1} is running…` });
    // The engine answers when the attempt has an outcome, so this shows the real result, never a bare "OK".
    api
      .post<FailedCompensation>(`/compensation-failures/${c.id}/retry`)
      .then((r) =>
        setState({
          message: r.resolutionState === 'resolved' ? `Retry succeeded: attempt ${r.attemptsMade} undid the task; now resolved.` : `Retry failed: attempt ${r.attemptsMade}: ${r.failure ?? 'unknown error'}`,
        }),
      )
      .catch((error) => setState({ error }));
  };
  const isPending = c.resolutionState === 'pending';
  const disabled = !canOperate() || state.isBusy === true;
  return (
    <section class="panel" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <ReadOnlyNote />
      <label for="reason">Reason (required to resolve or ignore)</label>
      <textarea id="reason" rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} disabled={!canOperate()} />
      <div class="buttons">
        <button type="button" onClick={() => dispose('resolve')} disabled={disabled || !isPending}>
          Resolve
        </button>
        <button type="button" onClick={() => dispose('ignore')} disabled={disabled || !isPending}>
          Ignore
        </button>
        <button type="button" onClick={retry} disabled={disabled || !isPending}>
          Retry
        </button>
      </div>
      {state.message && (
        <p role="status" data-testid="action-result">
          {state.message}
        </p>
      )}
      <ErrorNote error={state.error} />
      <CliHint command={`orra comp-fail resolve ${c.id} --reason ${shellQuote(reason || 'why')}`} />
      <CliHint command={`orra comp-fail ignore ${c.id} --reason ${shellQuote(reason || 'why')}`} />
      <CliHint command={`orra comp-fail retry ${c.id}`} />
      <button type="button" class="link" onClick={() => navigate(`/console/activity?item=${c.id}`)}>
        All activity on this item
      </button>
    </section>
  );
}
