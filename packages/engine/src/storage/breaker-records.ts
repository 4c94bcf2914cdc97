import type { EpochMs } from './records.js';
import type { DueDelivery } from './webhook-records.js';

/**
 * The circuit breaker's states (docs/webhooks.md#circuit-breaker). `disabled` is not stored here: it is the
 * endpoint's `isEnabled = false`, whatever the breaker row says.
 */
export type BreakerState = 'active' | 'failing' | 'probing' | 'paused';

/**
 * One endpoint's breaker, durable so that every engine process on the database acts on the same decision.
 * An endpoint without a row is `active` with nothing counted.
 */
export interface BreakerRecord {
  endpointId: string;
  projectId: string;
  state: BreakerState;
  stateSince: EpochMs;
  /** Failed attempts (network error, timeout, 5xx, 408) in a row, reset by any success. */
  consecutiveFailures: number;
  /** The event of the first failure of the run, and whether the run has failed on another event since. */
  firstFailedEventId: string | null;
  isSpanningEvents: boolean;
  /** When the outage began (the trip); kept while probing, for the disable-after limit. */
  failingSince: EpochMs | null;
  /** Probes made in this outage: indexes the probe schedule. */
  probes: number;
  /** When the next probe is due (`failing`), or when a probe that never reported is given up (`probing`). */
  nextProbeAt: EpochMs | null;
  /** A 429's Retry-After: nothing is sent before this time. */
  throttledUntil: EpochMs | null;
  /** After a recovery: how many requests may be out at once (1, 2, 4 …); null = the endpoint's full limit. */
  slowStartWindow: number | null;
  updatedAt: EpochMs;
}

export interface BreakerRepo {
  get(endpointId: string): Promise<BreakerRecord | undefined>;
  /**
   * Inserts or replaces the row. `isTransition`: the state changed, so every engine process is told to look
   * for due deliveries again (PostgreSQL NOTIFY on the cluster channel; a no-op on SQLite).
   */
  put(record: BreakerRecord, isTransition: boolean): Promise<void>;
  /** Breakers of these endpoints (those without a row are left out). */
  list(endpointIds: string[]): Promise<BreakerRecord[]>;
  /** Pending deliveries per endpoint (those with none are left out). */
  pendingCounts(endpointIds: string[]): Promise<Map<string, number>>;
  /** Every non-deleted endpoint's state (disabled included) and pending deliveries: the metrics gauges. */
  summary(): Promise<{ state: BreakerState | 'disabled'; endpoints: number; pending: number }[]>;
  /** The endpoint's oldest pending delivery (lowest seq): what a probe sends. Any process's claim. */
  oldestPending(endpointId: string, excludeSeqs: number[]): Promise<DueDelivery | undefined>;
  /**
   * Makes every pending delivery of the endpoint due at `now` (the drain after a recovery): all the same
   * due time, so the due query's tie-break (seq) sends them in the order they arose.
   */
  makeDue(endpointId: string, now: EpochMs): Promise<number>;
  /**
   * Ends every probe lease now (`probing` rows become due for a probe at `now`): called when an engine
   * process starts, because a probe that was out when a process died would otherwise hold the endpoint's
   * events until its lease ran out. Returns how many leases it ended.
   */
  expireProbeLeases(now: EpochMs): Promise<number>;
}

/** The breaker of an endpoint that has no row yet. */
export function activeBreaker(endpointId: string, projectId: string, now: EpochMs): BreakerRecord {
  return {
    endpointId,
    projectId,
    state: 'active',
    stateSince: now,
    consecutiveFailures: 0,
    firstFailedEventId: null,
    isSpanningEvents: false,
    failingSince: null,
    probes: 0,
    nextProbeAt: null,
    throttledUntil: null,
    slowStartWindow: null,
    updatedAt: now,
  };
}
