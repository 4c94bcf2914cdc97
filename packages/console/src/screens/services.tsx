import { api } from '../api.js';
import { ErrorNote, Page, Status, useLive } from '../components.js';
import { formatTime } from '../format.js';

export interface Service {
  id: string;
  name: string;
  kind: string;
  description: string;
  revertible: boolean;
  version: number;
  /** Sockets on every engine process; `since` as the answering process saw it (null: not since it started). */
  connection: { state: 'connected' | 'disconnected'; sockets: number; since: string | null };
  /** Tasks of running orchestrations waiting on it: for it to connect, for its answer, for a retry. */
  tasks: { waiting: number; running: number; retrying: number };
  createdAt: string;
  updatedAt: string;
}

/** "2 until it connects · 1 running": why tasks wait on the service, or a dash when none do. */
export function tasksText(t: Service['tasks']): string {
  const parts = [
    t.waiting > 0 && `${t.waiting} until it connects`,
    t.running > 0 && `${t.running} running`,
    t.retrying > 0 && `${t.retrying} to retry`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : '—';
}

const waitingText = (n: number) => (n === 1 ? '1 task waits' : `${n} tasks wait`);

/** Services and agents: registered against connected (to any engine process), revertible or not. */
export function Services() {
  const { value, error } = useLive(() => api.get<Service[]>('/services'), []);
  const connected = (value ?? []).filter((s) => s.connection.state === 'connected').length;
  const stuck = (value ?? []).filter((s) => s.connection.state === 'disconnected' && s.tasks.waiting > 0);
  return (
    <Page title="Services and agents">
      {value && (
        <p>
          {connected} of {value.length} registered connected now.
          {stuck.length > 0 && ` ${waitingText(stuck.reduce((n, s) => n + s.tasks.waiting, 0))} for ${stuck.map((s) => s.name).join(', ')} to connect.`}
        </p>
      )}
      <ErrorNote error={error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Connection</th>
              <th scope="col">Tasks waiting on it</th>
              <th scope="col">Revertible</th>
              <th scope="col">Version</th>
              <th scope="col">Registered</th>
              <th scope="col">Id</th>
            </tr>
          </thead>
          <tbody>
            {(value ?? []).map((s) => (
              <tr data-service={s.name}>
                <td>
                  {s.name}
                  <div class="muted small">{s.description}</div>
                </td>
                <td>{s.kind}</td>
                <td>
                  <Status value={s.connection.state} />
                  {s.connection.since && <div class="muted small">since {formatTime(s.connection.since)}</div>}
                </td>
                <td data-tasks={s.tasks.waiting + s.tasks.running + s.tasks.retrying}>{tasksText(s.tasks)}</td>
                <td>{s.revertible ? 'yes' : 'no'}</td>
                <td>{s.version}</td>
                <td>{formatTime(s.createdAt)}</td>
                <td class="mono">{s.id}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Page>
  );
}
