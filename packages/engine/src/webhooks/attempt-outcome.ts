import type { AttemptOutcome, DueDelivery } from '../storage/store.js';
import { nextRetryDelayMs } from './retry-schedule.js';
import type { AttemptResult } from './webhook-sender.js';

/**
 * What an attempt changes: succeeded on a 2xx; failed for good on a 410 or when the schedule is used
 * up; otherwise pending again at the next scheduled (jittered, Retry-After-aware) time.
 */
export function attemptOutcome(
  d: DueDelivery,
  result: AttemptResult,
  schedule: readonly number[],
  now: number,
  random?: () => number,
): AttemptOutcome {
  const delay = result.isSuccess || result.isGone ? undefined : nextRetryDelayMs(schedule, d.runAttempts + 1, result.retryAfterMs, random);
  return {
    attempt: {
      deliverySeq: d.seq,
      attempt: d.attempts + 1,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      httpStatus: result.httpStatus,
      responseBody: result.responseBody,
      requestHeaders: result.requestHeaders,
      responseHeaders: result.responseHeaders,
      error: result.isGone ? 'HTTP 410 Gone: the endpoint is now disabled' : result.error,
      isSuccess: result.isSuccess,
    },
    version: d.version,
    status: result.isSuccess ? 'succeeded' : delay === undefined ? 'failed' : 'pending',
    nextAttemptAt: delay === undefined ? null : now + delay,
    now,
  };
}
