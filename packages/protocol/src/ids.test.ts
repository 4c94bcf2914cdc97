import { describe, expect, it } from 'vitest';
import { BASE57_ALPHABET, newCompensationId, newOrchestrationId, sortableId } from './ids.js';

const BASE57 = new RegExp(`^[${BASE57_ALPHABET}]{22}$`);

describe('sortableId', () => {
  it('is 22 base57 characters, like every other orra id', () => {
    expect(sortableId()).toMatch(BASE57);
    expect(newOrchestrationId()).toMatch(/^o_/);
    expect(newOrchestrationId().slice(2)).toMatch(BASE57);
    expect(newCompensationId().slice(2)).toMatch(BASE57);
  });

  it('sorts by creation time, byte for byte (as SQLite and PostgreSQL "C" compare text)', () => {
    const times = [
      0, 1, 56, 57, 58, 3_249, 1_700_000_000_000, 1_795_900_000_000, 1_795_900_000_001, 4_102_444_800_000,
    ];
    const ids = times.map((t) => sortableId(t));
    const byBytes = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(byBytes).toEqual(ids);
    expect(ids.map((id) => id.slice(0, 8))).toEqual([...new Set(ids.map((id) => id.slice(0, 8)))]);
  });

  it('keeps 14 random characters: ids minted in the same millisecond differ', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => sortableId(1_795_900_000_000)));
    expect(ids.size).toBe(10_000);
  });
});
