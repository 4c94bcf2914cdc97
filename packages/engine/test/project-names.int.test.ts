import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../src/storage/sqlite/migrations/index.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { Api } from './helpers/api.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';

describe('project names (POST /register/project)', () => {
  let engine: TestEngine;
  let admin: Api;

  beforeAll(async () => {
    engine = await startTestEngine();
    admin = new Api(engine.url);
  });
  afterAll(() => engine.dispose());

  const register = (body: unknown) => admin.post('/register/project', body);

  it.each([
    ['missing', {}, 'name: must not be empty or blank'],
    ['empty', { name: '' }, 'name: must not be empty or blank'],
    ['blank', { name: ' \t ' }, 'name: must not be empty or blank'],
    ['over 100 characters', { name: 'x'.repeat(101) }, 'name: must be at most 100 characters (got 101)'],
    ['5,000 characters', { name: 'y'.repeat(5000) }, 'name: must be at most 100 characters (got 5000)'],
    [
      'with a newline',
      { name: 'shop\nadmin' },
      'name: must not contain control characters (newlines, tabs, …)',
    ],
    ['not a string', { name: 42 }, 'name: must be a string'],
  ])('refuses a %s name with 400 naming the field, and creates nothing', async (_what, body, message) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'Orra:ValidationFailed', param: 'name', message });
  });

  it('accepts 100 characters, and trims surrounding whitespace', async () => {
    const long = await register({ name: 'z'.repeat(100) });
    expect(long.status).toBe(201);
    const padded = await register({ name: '  Corner Shop  ' });
    expect(padded.status).toBe(201);
    expect(padded.body.name).toBe('Corner Shop');
  });

  it('refuses a name the engine has already, ignoring case and surrounding whitespace', async () => {
    expect((await register({ name: 'Bakery' })).status).toBe(201);
    for (const name of ['Bakery', 'bakery', ' BAKERY ']) {
      const res = await register({ name });
      expect(res.status, name).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'Orra:ValidationFailed',
        param: 'name',
        message:
          'name: a project named "Bakery" already exists on this engine (names are compared ignoring case); pick another name',
      });
    }
    expect((await register({ name: 'Bakery 2' })).status).toBe(201);
  });

  it('lets only one of many simultaneous registrations of one name through', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => register({ name: i % 2 ? 'RACE' : 'race' })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400, 400, 400, 400]);
  });

  it('migrates a database that already holds duplicate names: they stay, and new ones are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orra-names-'));
    try {
      const path = join(dir, 'engine.db');
      const db = new Database(path);
      db.exec(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
      for (const m of SQLITE_MIGRATIONS.filter((m) => m.version < 9)) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
      }
      const insert = db.prepare('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)');
      insert.run('p_old1', 'Shop', 1);
      insert.run('p_old2', 'shop', 2);
      insert.run('p_old3', '', 3);
      db.close();
      const store = new SqliteStore(path);
      try {
        expect((await store.projects.get('p_old2'))?.name).toBe('shop');
        expect((await store.projects.findByName('SHOP'))?.id).toBe('p_old1');
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
