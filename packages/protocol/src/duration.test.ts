import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from './duration.js';

describe('Go durations', () => {
  it('parses the forms orra’s clients send', () => {
    expect(parseGoDuration('30s')).toBe(30_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('500ms')).toBe(500);
    expect(parseGoDuration('2h')).toBe(7_200_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('0')).toBe(0);
  });
  it('rejects text that is not a duration', () => {
    for (const bad of ['', '30', 's', '30 s', '30parsecs', '1m30', 'abc']) expect(parseGoDuration(bad), bad).toBeUndefined();
  });
  it('formats like Go’s Duration.String()', () => {
    expect(formatGoDuration(30_000)).toBe('30s');
    expect(formatGoDuration(60_000)).toBe('1m0s');
    expect(formatGoDuration(1_800_000)).toBe('30m0s');
    expect(formatGoDuration(5_400_000)).toBe('1h30m0s');
    expect(formatGoDuration(500)).toBe('500ms');
    expect(formatGoDuration(1_500)).toBe('1.5s');
  });
});
