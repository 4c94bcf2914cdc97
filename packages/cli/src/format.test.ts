import { describe, expect, it } from 'vitest';
import { formatDurationNs, relativeTime, statusLabel, titleCase, truncate } from './format.js';

describe('orra output formats', () => {
  it('labels statuses with orra icons and title case', () => {
    expect(statusLabel('not_actionable')).toBe('⊘ Not Actionable');
    expect(statusLabel('completed')).toBe('● Completed');
    expect(statusLabel('aborted')).toBe('⊟ Aborted');
    expect(statusLabel('ignored')).toBe('⊖ Ignored');
    // orra's CLI panicked on an empty status; ours prints nothing for it.
    expect(titleCase('')).toBe('');
  });

  it('truncates to the width with ..., counting characters', () => {
    expect(truncate('What is the weather in Paris tomorrow?', 34)).toBe('What is the weather in Paris to...');
    expect(truncate('short', 34)).toBe('short');
  });

  it('formats durations and relative times as orra does', () => {
    expect(formatDurationNs(120_000_000)).toBe('120ms');
    expect(formatDurationNs(1_500_000_000)).toBe('1.5s');
    expect(formatDurationNs(90e9)).toBe('1.5m');
    expect(formatDurationNs(5400e9)).toBe('1.5h');
    const now = Date.parse('2026-01-02T12:00:00Z');
    expect(relativeTime('2026-01-02T11:59:30Z', now)).toBe('just now');
    expect(relativeTime('2026-01-02T11:55:00Z', now)).toBe('5m');
    expect(relativeTime('2026-01-02T09:00:00Z', now)).toBe('3h');
    expect(relativeTime('2025-12-31T12:00:00Z', now)).toBe('2d');
  });
});
