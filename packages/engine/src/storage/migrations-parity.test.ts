import { describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS } from './postgres/migrations/index.js';
import { SQLITE_MIGRATIONS } from './sqlite/migrations/index.js';

/**
 * Numbers handed to a branch that has not been merged yet (a migration number is given out with the work,
 * so branches never collide). Remove a number once its migration is here.
 */
// 11: given out with the event log's work, which needed only 10.
const RESERVED: number[] = [11];

const outline = (list: readonly { version: number; name: string }[]) =>
  list.map((m) => `${m.version} ${m.name}`);

describe('migration parity', () => {
  it('has the same versions and names, in the same order, for SQLite and PostgreSQL', () => {
    expect(outline(POSTGRES_MIGRATIONS)).toEqual(outline(SQLITE_MIGRATIONS));
  });

  it('numbers migrations 1, 2, 3… without gaps other than numbers reserved for unmerged branches', () => {
    const versions = SQLITE_MIGRATIONS.map((m) => m.version);
    const expected = Array.from({ length: Math.max(...versions) }, (_, i) => i + 1).filter(
      (v) => !RESERVED.includes(v) || versions.includes(v),
    );
    expect(versions).toEqual(expected);
  });
});
