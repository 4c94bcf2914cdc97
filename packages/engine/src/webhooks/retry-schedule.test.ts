import { describe, expect, it } from 'vitest';
import { DEFAULT_PROBE_SCHEDULE, DEFAULT_RETRY_SCHEDULE, nextRetryDelayMs, parseRetryAfter, parseRetrySchedule } from './retry-schedule.js';

describe('retry schedule', () => {
  it('parses Go durations, one per attempt', () => {
    expect(parseRetrySchedule('0s,5s,5m,30m,2h,5h,10h,10h')).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(parseRetrySchedule(' 300ms , 1.5s')).toEqual([300, 1_500]);
    expect(parseRetrySchedule(DEFAULT_RETRY_SCHEDULE)).toEqual(parseRetrySchedule('0s,5s,5m,30m,2h,5h,10h,10h'));
  });

  it('probes a failing endpoint after 10 s, 30 s, 1, 2, 5, 10, 20 and 30 min, then hourly', () => {
    const m = 60_000;
    expect(parseRetrySchedule(DEFAULT_PROBE_SCHEDULE)).toEqual([10_000, 30_000, m, 2 * m, 5 * m, 10 * m, 20 * m, 30 * m, 60 * m]);
  });

  it('names the bad part of an invalid schedule', () => {
    expect(parseRetrySchedule('0s,5 minutes')).toMatch(/"5 minutes" is not a duration/);
    expect(parseRetrySchedule('0s,,5s')).toMatch(/comma-separated/);
    expect(parseRetrySchedule('-5s')).toMatch(/not a duration/);
    expect(parseRetrySchedule('')).toMatch(/comma-separated/);
    expect(parseRetrySchedule('0s, ')).toMatch(/comma-separated/);
  });

  it('jitters each delay by at most 20 % and stops when the schedule is used up', () => {
    const schedule = [0, 1_000, 10_000];
    expect(nextRetryDelayMs(schedule, 1, undefined, () => 0)).toBe(800);
    expect(nextRetryDelayMs(schedule, 1, undefined, () => 1)).toBe(1_200);
    expect(nextRetryDelayMs(schedule, 2, undefined, () => 0.5)).toBe(10_000);
    expect(nextRetryDelayMs(schedule, 3, undefined)).toBeUndefined();
  });

  it('honours Retry-After between the scheduled delay and twice it', () => {
    expect(nextRetryDelayMs([0, 1_000], 1, 1_500)).toBe(1_500);
    expect(nextRetryDelayMs([0, 1_000], 1, 60_000)).toBe(2_000);
    expect(nextRetryDelayMs([0, 1_000], 1, 0)).toBe(1_000);
    expect(nextRetryDelayMs([0, 1_000], 2, 500)).toBeUndefined();
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-10-27T15:30:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Tue, 27 Oct 2026 15:31:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
    expect(parseRetryAfter(['5', '9'], now)).toBe(5_000);
    // Not a number of seconds (so not 12 s), and not a date either.
    expect(parseRetryAfter('12 minutes', now)).toBeUndefined();
    expect(parseRetryAfter('in 12', now)).toBeUndefined();
    expect(parseRetryAfter('2026-10-27T15:31:00Z', now)).toBeUndefined();
    expect(parseRetryAfter(' Tue, 27 Oct 2026 15:31:00 GMT ', now)).toBe(60_000);
    expect(parseRetryAfter('   ', now)).toBeUndefined();
    expect(parseRetryAfter('Tue, 27 Oct 2026 15:29:00 GMT', now)).toBe(0);
  });
});
