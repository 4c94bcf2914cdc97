import { describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS } from './postgres/migrations/index.js';
import { SQLITE_MIGRATIONS } from './sqlite/migrations/index.js';

const outline = (list: readonly { version: number; name: string }[]) =>
  list.map((m) => `${m.version} ${m.name}`);

describe('migration parity', () => {
  it('has the same versions and names, in the same order, for SQLite and PostgreSQL', () => {
    expect(outline(POSTGRES_MIGRATIONS)).toEqual(outline(SQLITE_MIGRATIONS));
  });

  it('numbers migrations 1, 2, 3… without gaps', () => {
    expect(SQLITE_MIGRATIONS.map((m) => m.version)).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
  });
});
