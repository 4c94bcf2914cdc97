import { useState } from 'preact/hooks';
import { api, withQuery } from '../api.js';
import { canOperate, CliHint, CopyButton, ErrorNote, Page, ReadOnlyNote, Status, useLive } from '../components.js';
import { age, formatTime, shellQuote } from '../format.js';
import { invalidate } from '../live.js';
import { route, setQuery } from '../router.js';

export interface Delivery {
  eventId: string;
  type: string;
  endpointId: string;
  url: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}
interface Attempt {
  attempt: number;
  startedAt: string;
  durationMs: number;
  httpStatus: number | null;
  responseBody?: string;
  /** Null on attempts recorded before the engine kept them (migration 20). */
  requestHeaders?: Record<string, string> | null;
  /** Null when no response came; `(dropped)` counts what the 32 / 4 KB bound left out. */
  responseHeaders?: Record<string, string> | null;
  error?: string;
  succeeded: boolean;
}
/** An endpoint's circuit breaker (docs/webhooks.md#circuit-breaker). */
export type BreakerState = 'active' | 'failing' | 'probing' | 'paused' | 'disabled';
export interface Endpoint {
  id: string;
  url: string;
  kind: string;
  enabled: boolean;
  disabledReason?: string;
  state: BreakerState;
  stateSince: string;
  heldEvents: number;
  nextProbeAt?: string;
  throttledUntil?: string;
  /** From GET /webhooks/stats: the attempts of the last 24 h and the latest of them. */
  stats?: EndpointStats;
}
export interface EndpointStats {
  endpointId: string;
  attempts: number;
  succeeded: number;
  successRate: number | null;
  lastAttempt: { at: string; httpStatus: number | null; error: string | null; succeeded: boolean } | null;
}

/** The endpoints with their 24 h statistics: two reads, joined here by id. */
function loadEndpoints(): Promise<Endpoint[]> {
  return Promise.all([api.get<Endpoint[]>('/webhooks'), api.get<{ endpoints: EndpointStats[] }>('/webhooks/stats')]).then(([list, stats]) => {
    const byId = new Map(stats.endpoints.map((s) => [s.endpointId, s]));
    return list.map((e) => ({ ...e, stats: byId.get(e.id) }));
  });
}

/** The latest attempt: its outcome as icon and text, the HTTP status or the error, and when. */
function LastStatusCell({ stats }: { stats: EndpointStats | undefined }) {
  const a = stats?.lastAttempt;
  if (!a) return <span class="muted">no attempt in 24 h</span>;
  return (
    <>
      <Status value={a.succeeded ? 'succeeded' : 'failed'} /> <span data-last-http>{a.httpStatus !== null ? `HTTP ${a.httpStatus}` : (a.error ?? 'no response')}</span>{' '}
      <span class="muted" title={`${age(a.at)} ago`}>
        at {formatTime(a.at)}
      </span>
    </>
  );
}

/** Successful attempts over attempts in the last 24 h, as a percentage with the counts it comes from. */
function SuccessRateCell({ stats }: { stats: EndpointStats | undefined }) {
  if (!stats || stats.successRate === null) return <span class="muted">no attempts</span>;
  return (
    <span data-success-rate={stats.successRate}>
      {Math.floor(stats.successRate * 1000) / 10} % <span class="muted">({stats.succeeded} of {stats.attempts})</span>
    </span>
  );
}

/** The breaker's state, since when, and what it holds: as text (the icon and colour only repeat it). */
function BreakerCell({ endpoint: e }: { endpoint: Endpoint }) {
  return (
    <>
      <Status value={e.state} />{' '}
      <span class="muted" data-since title={`${age(e.stateSince)} ago`}>
        since {formatTime(e.stateSince)}
      </span>
      {e.state === 'disabled' && e.disabledReason ? <div class="muted">{e.disabledReason}</div> : null}
    </>
  );
}

/**
 * `holding`: each endpoint's breaker state when it is not active. A pending delivery to such an endpoint is
 * held, its retry schedule frozen: its "next retry" is not when it will be sent, so the table says why not.
 */
export function DeliveryTable({ deliveries, onRedeliver, holding }: { deliveries: Delivery[]; onRedeliver?: (d: Delivery) => void; holding?: Map<string, BreakerState> }) {
  return (
    <div class="table-wrap">
      <table class="nav">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Type</th>
            <th scope="col">Endpoint</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            <th scope="col">Next retry</th>
            {onRedeliver && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr data-event={d.eventId}>
              <td>
                <a class="row-link mono" href={`/console/webhooks?event=${encodeURIComponent(d.eventId)}`}>
                  {d.eventId}
                </a>
              </td>
              <td class="nowrap">{d.type}</td>
              <td class="mono">{d.url}</td>
              <td>
                <Status value={d.status} />
              </td>
              <td data-attempts>{d.attempts}</td>
              <td>{d.lastHttpStatus ?? d.lastError ?? '—'}</td>
              <td>{d.status === 'pending' && holding?.has(d.endpointId) ? <span data-held-by={holding.get(d.endpointId)}>held: endpoint {holding.get(d.endpointId)}</span> : formatTime(d.nextAttemptAt)}</td>
              {onRedeliver && (
                <td>
                  <button type="button" disabled={!canOperate()} onClick={() => onRedeliver(d)} aria-label={`Redeliver ${d.eventId}`}>
                    Redeliver
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Webhooks() {
  const q = route.value.query;
  const status = q.get('status') ?? '';
  const event = q.get('event') ?? '';
  const [note, setNote] = useState<{ error?: unknown; message?: string }>({});
  const endpoints = useLive(loadEndpoints, []);
  const selected = endpoints.value?.find((e) => e.id === q.get('endpoint'));
  const deliveries = useLive(() => api.get<{ deliveries: Delivery[] }>(withQuery('/webhooks/deliveries', { status, limit: '100' })), [status]);
  // The delivery the Redeliver hint names: the one last redelivered here (the command that does the same).
  const [redelivered, setRedelivered] = useState<Delivery | null>(null);
  const redeliver = (d: Delivery) => {
    setNote({});
    setRedelivered(d);
    api
      .post<{ requeued: number }>(`/webhooks/events/${encodeURIComponent(d.eventId)}/redeliver`, { endpoint: d.endpointId })
      .then((r) => setNote({ message: `Requeued ${r.requeued} delivery of ${d.eventId}: its next attempt shows below.` }))
      .catch((error) => setNote({ error }));
  };
  return (
    <Page title="Webhooks">
      <ReadOnlyNote />
      <h2>Endpoints</h2>
      <ErrorNote error={endpoints.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">URL</th>
              <th scope="col">Kind</th>
              <th scope="col">State</th>
              <th scope="col">Last status</th>
              <th scope="col">Success (24 h)</th>
              <th scope="col">Held events</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(endpoints.value ?? []).map((e) => (
              <tr data-endpoint={e.id}>
                <td>
                  <a class="mono" href={`/console/webhooks?endpoint=${e.id}`}>
                    {e.id}
                  </a>
                </td>
                <td class="mono">{e.url}</td>
                <td>{e.kind}</td>
                <td data-state={e.state}>
                  <BreakerCell endpoint={e} />
                </td>
                <td data-last-status>
                  <LastStatusCell stats={e.stats} />
                </td>
                <td data-success>
                  <SuccessRateCell stats={e.stats} />
                </td>
                <td data-held={e.heldEvents}>{e.heldEvents}</td>
                <td>
                  <button
                    type="button"
                    disabled={!canOperate()}
                    onClick={() =>
                      api
                        .post<{ succeeded: boolean; httpStatus: number | null; error?: string }>(`/webhooks/${e.id}/test`)
                        .then((r) => {
                          // A test writes no event to the log: the row's last status and rate are refetched here.
                          invalidate(e.id);
                          setNote({ message: r.succeeded ? `Test event delivered (HTTP ${r.httpStatus}).` : `Test event failed: ${r.error ?? `HTTP ${r.httpStatus}`}` });
                        })
                        .catch((error) => setNote({ error }))
                    }
                  >
                    Send test
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {note.message && <p role="status">{note.message}</p>}
      <ErrorNote error={note.error} />
      <CliHint command="orra webhooks test wh_…" />
      {selected && <EndpointActions endpoint={selected} />}

      <h2>Deliveries</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setQuery({ status: e.currentTarget.value })}>
            <option value="">any</option>
            {['pending', 'succeeded', 'failed', 'skipped'].map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={deliveries.error} />
      <DeliveryTable deliveries={deliveries.value?.deliveries ?? []} onRedeliver={redeliver} holding={new Map((endpoints.value ?? []).filter((e) => e.state !== 'active').map((e) => [e.id, e.state]))} />
      <CliHint command={redeliverCommand(redelivered ?? (event ? { eventId: event } : deliveries.value?.deliveries[0]))} />
      {event && <EventDetail eventId={event} />}
    </Page>
  );
}

/** The command that redelivers a delivery (or every delivery of an event); the generic form when none is listed. */
function redeliverCommand(d: { eventId: string; endpointId?: string } | undefined): string {
  if (!d) return 'orra webhooks redeliver EVENT_ID';
  return `orra webhooks redeliver ${d.eventId}${d.endpointId ? ` --endpoint ${d.endpointId}` : ''}`;
}

/** One endpoint's breaker and actions: pause, resume, disable (after a confirmation), enable, rotate the secret, recover failed deliveries since a time, remove. */
function EndpointActions({ endpoint }: { endpoint: Endpoint }) {
  const [since, setSince] = useState('');
  const [confirmUrl, setConfirmUrl] = useState('');
  const [isDiscarding, setDiscarding] = useState(false);
  const [isConfirmingDisable, setConfirmingDisable] = useState(false);
  const [state, setState] = useState<{ error?: unknown; message?: string; secret?: string }>({});
  const run = (p: Promise<{ message: string; secret?: string }>) => {
    setState({});
    p.then((r) => setState(r)).catch((error) => setState({ error }));
  };
  const id = endpoint.id;
  const isPaused = endpoint.state === 'paused';
  const breakerAction = (verb: 'pause' | 'resume') =>
    run(
      api.post<Endpoint>(`/webhooks/${id}/${verb}`).then((e) => {
        // Pause and resume write no event to the log: the endpoint list is refetched here, not by the stream.
        // (Only here: after Remove, a refetch would drop this panel, and its message with it.)
        invalidate(id);
        return { message: `${verb === 'pause' ? 'Paused' : 'Resumed'}: now ${e.state}, ${e.heldEvents} held event(s).` };
      }),
    );
  return (
    <section class="panel" aria-labelledby="endpoint-title">
      <h2 id="endpoint-title">Endpoint {id}</h2>
      <p class="mono">
        {endpoint.url} <CopyButton text={id} label="Copy id" />
      </p>
      <dl class="facts" data-breaker={endpoint.state}>
        <dt>Breaker</dt>
        <dd>
          <BreakerCell endpoint={endpoint} />
        </dd>
        <dt>Held events</dt>
        <dd>{endpoint.heldEvents}</dd>
        {endpoint.nextProbeAt && (
          <>
            <dt>Next probe</dt>
            <dd>{formatTime(endpoint.nextProbeAt)}</dd>
          </>
        )}
        {endpoint.throttledUntil && (
          <>
            <dt>Throttled until</dt>
            <dd>{formatTime(endpoint.throttledUntil)}</dd>
          </>
        )}
      </dl>
      {endpoint.enabled && (
        <>
          <div class="buttons">
            {isPaused ? (
              <button type="button" disabled={!canOperate()} onClick={() => breakerAction('resume')}>
                Resume
              </button>
            ) : (
              <button type="button" disabled={!canOperate()} onClick={() => breakerAction('pause')}>
                Pause
              </button>
            )}
          </div>
          <CliHint command={`orra webhooks ${isPaused ? 'resume' : 'pause'} ${id}`} />
          <div class="buttons">
            <button type="button" class="danger" disabled={!canOperate() || isConfirmingDisable} onClick={() => setConfirmingDisable(true)}>
              Disable
            </button>
          </div>
          {isConfirmingDisable && (
            <div class="confirm" role="alertdialog" aria-labelledby="disable-confirm">
              <p id="disable-confirm">
                Disable {id}? Nothing more is sent to it: pending events are held until it is enabled, events that arise meanwhile are skipped.
              </p>
              <button
                type="button"
                class="danger"
                disabled={!canOperate()}
                onClick={() => {
                  setConfirmingDisable(false);
                  run(api.post<Endpoint>(`/webhooks/${id}/disable`).then((e) => ({ message: `Disabled: ${e.heldEvents} held event(s).` })));
                }}
              >
                Confirm disable
              </button>{' '}
              <button type="button" onClick={() => setConfirmingDisable(false)}>
                Cancel
              </button>
            </div>
          )}
          <CliHint command={`orra webhooks disable ${id}`} />
        </>
      )}
      {!endpoint.enabled && (
        <form
          class="action"
          onSubmit={(e) => {
            e.preventDefault();
            run(api.post(`/webhooks/${id}/enable`, isDiscarding ? { discard_held: true } : {}).then(() => ({ message: 'Enabled.' })));
          }}
        >
          <label>
            <input type="checkbox" checked={isDiscarding} onChange={(e) => setDiscarding(e.currentTarget.checked)} disabled={!canOperate()} /> Discard the {endpoint.heldEvents} held event(s) (they end skipped)
          </label>
          <button type="submit" disabled={!canOperate()}>
            Enable
          </button>
        </form>
      )}
      {!endpoint.enabled && <CliHint command={`orra webhooks enable ${id}${isDiscarding ? ' --discard-held' : ''}`} />}
      <div class="buttons">
        <button
          type="button"
          disabled={!canOperate()}
          onClick={() => run(api.post<{ secret: string }>(`/webhooks/${id}/rotate-secret`).then((r) => ({ message: 'New secret (shown once; the old one keeps signing for the overlap period):', secret: r.secret })))}
        >
          Rotate secret
        </button>
      </div>
      <CliHint label="Send test" command={`orra webhooks test ${id}`} />
      <CliHint label="Rotate secret" command={`orra webhooks rotate-secret ${id}`} />
      <form
        class="action"
        onSubmit={(e) => {
          e.preventDefault();
          run(api.post<{ requeued: number }>(`/webhooks/${id}/recover`, { since: new Date(since).toISOString() }).then((r) => ({ message: `Requeued ${r.requeued} failed deliveries.` })));
        }}
      >
        <label for="recover-since">Redeliver everything that failed since</label>
        <input id="recover-since" type="datetime-local" value={since} onInput={(e) => setSince(e.currentTarget.value)} required disabled={!canOperate()} />
        <button type="submit" disabled={!canOperate() || !since}>
          Recover
        </button>
      </form>
      {/* The time picked above (local time, sent as UTC), or the last 24 h until one is. */}
      <CliHint label="Recover" command={`orra webhooks recover ${id} --since ${since ? new Date(since).toISOString() : '24h'}`} />
      <form
        class="action"
        onSubmit={(e) => {
          e.preventDefault();
          run(api.delete(`/webhooks/${id}`).then(() => ({ message: 'Removed.' })));
        }}
      >
        <label for="confirm-url">Type the URL to remove this endpoint</label>
        <input id="confirm-url" value={confirmUrl} onInput={(e) => setConfirmUrl(e.currentTarget.value)} disabled={!canOperate()} />
        <button type="submit" class="danger" disabled={!canOperate() || confirmUrl !== endpoint.url}>
          Remove
        </button>
      </form>
      <CliHint command={`orra webhooks rm ${id}`} />
      {state.message && <p role="status">{state.message}</p>}
      {state.secret && (
        <p>
          <code>{state.secret}</code> <CopyButton text={state.secret} label="Copy secret" />
        </p>
      )}
      <ErrorNote error={state.error} />
    </section>
  );
}

/** One attempt's headers as a collapsed `name: value` list; nothing for attempts that have none. */
function HeaderList({ label, headers }: { label: string; headers: Record<string, string> | null | undefined }) {
  if (!headers) return null;
  const names = Object.keys(headers);
  return (
    <details data-headers={label.toLowerCase()}>
      <summary>
        {label} headers ({names.length})
      </summary>
      <dl class="facts mono small">
        {names.map((name) => (
          <>
            <dt>{name}</dt>
            <dd>{headers[name]}</dd>
          </>
        ))}
      </dl>
    </details>
  );
}

function EventDetail({ eventId }: { eventId: string }) {
  const { value, error } = useLive(() => api.get<{ body: string; deliveries: (Delivery & { attemptLog: Attempt[] })[] }>(`/webhooks/events/${encodeURIComponent(eventId)}`), [eventId], eventId);
  return (
    <section class="panel" aria-label={`Event ${eventId}`}>
      <h2>Event {eventId}</h2>
      <p>
        <CopyButton text={eventId} label="Copy id" />
      </p>
      <ErrorNote error={error} />
      {value?.deliveries.map((d) => (
        <div>
          <h3>
            To {d.url} <Status value={d.status} />
          </h3>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                  <th scope="col">HTTP</th>
                  <th scope="col">Response / error</th>
                  <th scope="col">Headers</th>
                </tr>
              </thead>
              <tbody data-attempt-log>
                {d.attemptLog.map((a) => (
                  <tr>
                    <td>{a.attempt}</td>
                    <td>{formatTime(a.startedAt)}</td>
                    <td>{a.durationMs} ms</td>
                    <td>{a.httpStatus ?? '—'}</td>
                    <td class="mono">{a.error ?? ''} {a.responseBody ?? ''}</td>
                    <td>
                      <HeaderList label="Request" headers={a.requestHeaders} />
                      <HeaderList label="Response" headers={a.responseHeaders} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ))}
      {value && (
        <>
          <h3>Body</h3>
          <pre tabIndex={0}>{value.body}</pre>
        </>
      )}
      <CliHint command={`orra webhooks inspect ${shellQuote(eventId)}`} />
    </section>
  );
}
