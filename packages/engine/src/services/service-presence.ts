/** A service's connection as `GET /services` reports it. */
export interface PresenceView {
  /** Open sockets of the service across the engine (this process and, on PostgreSQL, the others). */
  sockets: number;
  /** When the service entered its current state (connected or not) as this process saw it; null when it has not been connected since this process started. */
  since: number | null;
}

/**
 * Since when each service has been connected or disconnected, as seen by this engine process. The
 * cluster calls `observe` after every change of a service's sockets; an entry flips only when the
 * service goes from no socket to some or back, so a second socket does not reset "connected since".
 * One entry per service that has connected since the process started: bounded by the registered services.
 */
export class ServicePresence {
  private readonly states = new Map<string, { isConnected: boolean; since: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  observe(serviceId: string, sockets: number): void {
    const isConnected = sockets > 0;
    const state = this.states.get(serviceId);
    if (state?.isConnected === isConnected) return;
    if (!state && !isConnected) return;
    this.states.set(serviceId, { isConnected, since: this.now() });
  }

  view(serviceId: string, sockets: number): PresenceView {
    const state = this.states.get(serviceId);
    // The count is read live; the state's time is the last flip this process saw.
    return { sockets, since: state && state.isConnected === sockets > 0 ? state.since : null };
  }
}
