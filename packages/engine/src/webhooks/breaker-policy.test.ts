import { describe, expect, it } from 'vitest';
import { activeBreaker } from '../storage/breaker-records.js';
import type { BreakerRecord } from '../storage/store.js';
import { applyAttempt, probeDelayMs, verdictOf, type BreakerPolicyOptions } from './breaker-policy.js';
import type { AttemptResult } from './webhook-sender.js';

const OPTIONS: BreakerPolicyOptions = {
  failuresToTrip: 5,
  probeScheduleMs: [10_000, 30_000, 60_000],
  disableAfterMs: 72 * 3_600_000,
  probeLeaseMs: 40_000,
  maxPerEndpoint: 16,
  defaultRetryAfterMs: 60_000,
  random: () => 0.5, // no jitter
};

const result = (o: Partial<AttemptResult>): AttemptResult => ({
  kind: 'http_error',
  isSuccess: false,
  isGone: false,
  httpStatus: 500,
  responseBody: null,
  requestHeaders: {},
  responseHeaders: null,
  error: 'HTTP 500',
  retryAfterMs: undefined,
  startedAt: 0,
  durationMs: 1,
  ...o,
});
const ok = result({ kind: 'success', isSuccess: true, httpStatus: 200, error: null });
const s500 = result({});

function run(b: BreakerRecord, attempts: [string, AttemptResult, boolean?][], now = 1_000) {
  let cur = b;
  const steps = [];
  for (const [eventId, r, isProbe] of attempts) {
    const step = applyAttempt(cur, { eventId, isProbe: isProbe ?? false, result: r, now }, OPTIONS);
    steps.push(step);
    cur = step.next;
  }
  return { b: cur, steps };
}

describe('breaker policy', () => {
  it("classifies answers: 5xx, 408, timeouts and network errors are the endpoint's; other 4xx the event's; 429 throttles", () => {
    expect(verdictOf(s500)).toBe('endpoint_failure');
    expect(verdictOf(result({ httpStatus: 408 }))).toBe('endpoint_failure');
    expect(verdictOf(result({ kind: 'timeout', httpStatus: null }))).toBe('endpoint_failure');
    expect(verdictOf(result({ kind: 'network_error', httpStatus: null }))).toBe('endpoint_failure');
    for (const status of [400, 401, 404, 409, 422, 425])
      expect(verdictOf(result({ httpStatus: status }))).toBe('event_failure');
    expect(verdictOf(result({ httpStatus: 429 }))).toBe('throttled');
    expect(verdictOf(result({ httpStatus: 410, isGone: true }))).toBe('gone');
    expect(verdictOf(ok)).toBe('success');
  });

  it('trips on the fifth failure in a row spanning two events, and holds the attempt that tripped it', () => {
    const { b, steps } = run(activeBreaker('wh_1', 'p_1', 0), [
      ['e1', s500],
      ['e1', s500],
      ['e2', s500],
      ['e2', s500],
      ['e1', s500],
    ]);
    expect(steps.slice(0, 4).map((s) => s.transition)).toEqual([undefined, undefined, undefined, undefined]);
    expect(steps[4]).toMatchObject({ transition: 'tripped', isHeld: true });
    expect(b).toMatchObject({ state: 'failing', failingSince: 1_000, probes: 0, nextProbeAt: 11_000 });
  });

  it("does not trip on one event failing alone, and a success or another event's 4xx does not count", () => {
    const alone = run(
      activeBreaker('wh_1', 'p_1', 0),
      Array.from({ length: 8 }, () => ['e1', s500] as [string, AttemptResult]),
    );
    expect(alone.b.state).toBe('active');
    expect(alone.b.consecutiveFailures).toBe(8);
    const reset = run(activeBreaker('wh_1', 'p_1', 0), [
      ['e1', s500],
      ['e2', s500],
      ['e3', s500],
      ['e4', s500],
      ['e5', ok],
      ['e6', s500],
    ]);
    expect(reset.b).toMatchObject({ state: 'active', consecutiveFailures: 1 });
    const poison = run(
      activeBreaker('wh_1', 'p_1', 0),
      Array.from({ length: 10 }, (_, i) => [`e${i}`, result({ httpStatus: 400 })] as [string, AttemptResult]),
    );
    expect(poison.b).toMatchObject({ state: 'active', consecutiveFailures: 0 });
    expect(poison.steps.every((s) => !s.isHeld)).toBe(true);
  });

  it("leaves a healthy endpoint's breaker record as it is on a success (no row to write), and clears a failure count", () => {
    const healthy = activeBreaker('wh_1', 'p_1', 0);
    const step = applyAttempt(healthy, { eventId: 'e1', isProbe: false, result: ok, now: 5_000 }, OPTIONS);
    expect(step.next).toBe(healthy);
    expect(step).toMatchObject({ isHeld: false, heldUntil: 5_000 });
    const afterFailure = run(healthy, [['e1', s500], ['e2', ok]]).b;
    expect(afterFailure).not.toBe(healthy);
    expect(afterFailure).toMatchObject({ consecutiveFailures: 0, firstFailedEventId: null, isSpanningEvents: false, updatedAt: 1_000 });
    const slowStart = { ...healthy, slowStartWindow: 2 };
    expect(applyAttempt(slowStart, { eventId: 'e3', isProbe: false, result: ok, now: 6_000 }, OPTIONS).next).toMatchObject({ slowStartWindow: 4 });
  });

  it('probes on the schedule (the last entry repeats), moving only on the probe, and recovers with slow start', () => {
    const tripped = run(activeBreaker('wh_1', 'p_1', 0), [
      ['e1', s500],
      ['e2', s500],
      ['e3', s500],
      ['e4', s500],
      ['e5', s500],
    ]).b;
    // An attempt that was already out when it tripped: held, changes nothing.
    const stale = applyAttempt(tripped, { eventId: 'e6', isProbe: false, result: s500, now: 2_000 }, OPTIONS);
    expect(stale).toMatchObject({ isHeld: true, next: tripped });
    let b = tripped;
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const step = applyAttempt(
        { ...b, state: 'probing' },
        { eventId: 'e1', isProbe: true, result: s500, now: 100_000 * (i + 1) },
        OPTIONS,
      );
      expect(step.isHeld).toBe(true);
      delays.push(step.next.nextProbeAt! - 100_000 * (i + 1));
      b = step.next;
    }
    expect(delays).toEqual([30_000, 60_000, 60_000, 60_000]);
    const recovered = applyAttempt(
      { ...b, state: 'probing' },
      { eventId: 'e1', isProbe: true, result: ok, now: 500_000 },
      OPTIONS,
    );
    expect(recovered).toMatchObject({
      transition: 'recovered',
      isHeld: false,
      next: { state: 'active', slowStartWindow: 1, failingSince: null, probes: 0 },
    });
    const windows = run(recovered.next, [
      ['e2', ok],
      ['e3', ok],
      ['e4', ok],
      ['e5', ok],
    ]).steps.map((s) => s.next.slowStartWindow);
    expect(windows).toEqual([2, 4, 8, null]);
  });

  it('disables an endpoint whose probe fails after the limit', () => {
    const failing: BreakerRecord = {
      ...activeBreaker('wh_1', 'p_1', 0),
      state: 'probing',
      failingSince: 0,
      probes: 40,
    };
    const step = applyAttempt(
      failing,
      { eventId: 'e1', isProbe: true, result: s500, now: 72 * 3_600_000 },
      OPTIONS,
    );
    expect(step).toMatchObject({ transition: 'disabled', isHeld: true });
  });

  it('waits out a 429 for its Retry-After (60 s without one, at most 1 h) without counting a failure', () => {
    const b = activeBreaker('wh_1', 'p_1', 0);
    expect(
      applyAttempt(
        b,
        {
          eventId: 'e1',
          isProbe: false,
          result: result({ httpStatus: 429, retryAfterMs: 5_000 }),
          now: 1_000,
        },
        OPTIONS,
      ),
    ).toMatchObject({
      isHeld: true,
      heldUntil: 6_000,
      next: { throttledUntil: 6_000, consecutiveFailures: 0, state: 'active' },
    });
    expect(
      applyAttempt(b, { eventId: 'e1', isProbe: false, result: result({ httpStatus: 429 }), now: 0 }, OPTIONS)
        .heldUntil,
    ).toBe(60_000);
    expect(
      applyAttempt(
        b,
        {
          eventId: 'e1',
          isProbe: false,
          result: result({ httpStatus: 429, retryAfterMs: 86_400_000 }),
          now: 0,
        },
        OPTIONS,
      ).heldUntil,
    ).toBe(3_600_000);
  });

  it('spreads probe delays by ±20 %', () => {
    expect(probeDelayMs([10_000], 0, () => 0)).toBe(8_000);
    expect(probeDelayMs([10_000], 5, () => 1)).toBe(12_000);
  });
});
