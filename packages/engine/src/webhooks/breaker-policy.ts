import { activeBreaker, type BreakerRecord } from '../storage/breaker-records.js';
import type { AttemptResult } from './webhook-sender.js';

/** What an attempt's result says, and about whom (docs/webhooks.md#circuit-breaker). */
export type AttemptVerdict =
  /** A 2xx. */
  | 'success'
  /** Network error, timeout, 5xx, 408: the endpoint is unwell; counts towards tripping the breaker. */
  | 'endpoint_failure'
  /** Any other 4xx (409 and 425 included), or refused by policy: about this one event, retried on its schedule. */
  | 'event_failure'
  /** 429: back-pressure; the endpoint waits for its Retry-After, and nothing is used up. */
  | 'throttled'
  /** 410: the endpoint is disabled. */
  | 'gone';

export function verdictOf(r: AttemptResult): AttemptVerdict {
  if (r.isSuccess) return 'success';
  if (r.isGone) return 'gone';
  if (r.kind === 'timeout' || r.kind === 'network_error') return 'endpoint_failure';
  const status = r.httpStatus ?? 0;
  if (status === 429) return 'throttled';
  if (status >= 500 || status === 408) return 'endpoint_failure';
  return 'event_failure';
}

export interface BreakerPolicyOptions {
  /** Failed attempts in a row (spanning at least two events) that trip the breaker. */
  failuresToTrip: number;
  /** Delays between probes; the last one repeats. */
  probeScheduleMs: readonly number[];
  /** Failing this long disables the endpoint. */
  disableAfterMs: number;
  /** A probe that never reported (its process died) is given up after this long and made again. */
  probeLeaseMs: number;
  /** Slow start ends at this many requests out at once. */
  maxPerEndpoint: number;
  /** A 429 without a usable Retry-After waits this long. */
  defaultRetryAfterMs: number;
  random?: () => number;
}

/** A state change, as operator events and metrics see it. */
export type BreakerTransition = 'tripped' | 'recovered' | 'disabled';

/** What one attempt does to its endpoint's breaker and to its own outcome. */
export interface BreakerStep {
  next: BreakerRecord;
  /** The attempt does not move its event's retry schedule; the delivery stays pending, due at `heldUntil`. */
  isHeld: boolean;
  heldUntil: number;
  transition?: BreakerTransition;
}

const JITTER = 0.2;
/** A 429's Retry-After is honoured up to this long; beyond it the endpoint is asked again. */
const MAX_THROTTLE_MS = 3_600_000;

/** The delay before probe number `probes` (0 = the first after the trip), ±20 %. */
export function probeDelayMs(
  schedule: readonly number[],
  probes: number,
  random: () => number = Math.random,
): number {
  const base = schedule[Math.min(probes, schedule.length - 1)] ?? 3_600_000;
  return Math.round(base * (1 + JITTER * (2 * random() - 1)));
}

/**
 * Applies one attempt to the breaker. Pure: the caller reads the row, applies the batch's attempts in
 * order, and writes the row back in the transaction that records the outcomes, so every engine process
 * acts on one decision.
 */
export function applyAttempt(
  b: BreakerRecord,
  a: { eventId: string; isProbe: boolean; result: AttemptResult; now: number },
  o: BreakerPolicyOptions,
): BreakerStep {
  const { now } = a;
  const verdict = verdictOf(a.result);
  const same = { next: b, isHeld: false, heldUntil: now };
  // The endpoint is disabled by the dispatcher; the event is held with the others, for an enable.
  if (verdict === 'gone') return { next: b, isHeld: true, heldUntil: now };
  if (verdict === 'throttled') {
    const wait = Math.min(a.result.retryAfterMs ?? o.defaultRetryAfterMs, MAX_THROTTLE_MS);
    const until = now + wait;
    // An answer, even a 429, shows the endpoint is up: a failing endpoint recovers (and then waits).
    const base = b.state === 'failing' || b.state === 'probing' ? recovered(b, now) : { next: b };
    return {
      ...base,
      next: { ...base.next, throttledUntil: until, updatedAt: now },
      isHeld: true,
      heldUntil: until,
    };
  }
  if (b.state === 'paused') return { next: b, isHeld: verdict === 'endpoint_failure', heldUntil: now };
  if (b.state === 'failing' || b.state === 'probing') {
    if (verdict !== 'endpoint_failure') return { ...recovered(b, now), isHeld: false, heldUntil: now };
    // Still down. Only the probe moves the schedule; an attempt that was already out when the breaker
    // tripped (or sent by a process that had not heard yet) is held and changes nothing.
    if (!a.isProbe) return { next: b, isHeld: true, heldUntil: now };
    const failingSince = b.failingSince ?? now;
    if (now - failingSince >= o.disableAfterMs) {
      return {
        next: { ...b, state: 'failing', probes: b.probes + 1, nextProbeAt: null, updatedAt: now },
        isHeld: true,
        heldUntil: now,
        transition: 'disabled',
      };
    }
    const probes = b.probes + 1;
    return {
      next: {
        ...b,
        state: 'failing',
        probes,
        nextProbeAt: now + probeDelayMs(o.probeScheduleMs, probes, o.random),
        updatedAt: now,
      },
      isHeld: true,
      heldUntil: now,
    };
  }
  // active
  if (verdict === 'success') {
    // A healthy endpoint's success changes nothing: returning the same record spares the breaker row's
    // write (its table and key pages in every outcome commit).
    if (b.consecutiveFailures === 0 && b.firstFailedEventId === null && !b.isSpanningEvents && b.slowStartWindow === null) return same;
    const window =
      b.slowStartWindow === null
        ? null
        : b.slowStartWindow * 2 >= o.maxPerEndpoint
          ? null
          : b.slowStartWindow * 2;
    return {
      next: {
        ...b,
        consecutiveFailures: 0,
        firstFailedEventId: null,
        isSpanningEvents: false,
        slowStartWindow: window,
        updatedAt: now,
      },
      isHeld: false,
      heldUntil: now,
    };
  }
  if (verdict === 'event_failure') return same;
  const isFirst = b.consecutiveFailures === 0;
  const failures = b.consecutiveFailures + 1;
  const firstFailedEventId = isFirst ? a.eventId : b.firstFailedEventId;
  const isSpanningEvents = isFirst ? false : b.isSpanningEvents || a.eventId !== b.firstFailedEventId;
  const counted = {
    ...b,
    consecutiveFailures: failures,
    firstFailedEventId,
    isSpanningEvents,
    updatedAt: now,
  };
  if (failures < o.failuresToTrip || !isSpanningEvents)
    return { next: counted, isHeld: false, heldUntil: now };
  // Tripped. The attempt that tripped it is held too: from here on the outage uses up no event.
  return {
    next: {
      ...counted,
      state: 'failing',
      stateSince: now,
      failingSince: now,
      probes: 0,
      nextProbeAt: now + probeDelayMs(o.probeScheduleMs, 0, o.random),
      slowStartWindow: null,
    },
    isHeld: true,
    heldUntil: now,
    transition: 'tripped',
  };
}

function recovered(b: BreakerRecord, now: number): { next: BreakerRecord; transition: BreakerTransition } {
  // A fresh active breaker, keeping a 429's wait and starting the drain slowly.
  const next = { ...activeBreaker(b.endpointId, b.projectId, now), throttledUntil: b.throttledUntil, slowStartWindow: 1 };
  return { next, transition: 'recovered' };
}
