import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { isPostgresRun } from './helpers/test-database.js';
import { startTestEngine } from './helpers/test-engine.js';

/** The embedded store's files on disk: who may read them. SQLite only (PostgreSQL keeps no files here). */
describe.skipIf(isPostgresRun)('the SQLite data directory', () => {
  // Made in beforeAll, not in the describe body: a skipped suite's body still runs (collection) but its
  // hooks do not, so a directory made there would never be removed.
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'orra-datadir-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

  it('creates the data directory 0700 and the database, its WAL and shared-memory files 0600', async () => {
    const dataDir = join(root, 'fresh', 'orra');
    const engine = await startTestEngine({}, dataDir);
    try {
      // A webhook secret is what makes the file worth protecting: write one, so the WAL holds it too.
      const { api } = await newProject(engine.url, 'perms');
      expect((await api.post('/webhooks', { url: 'http://127.0.0.1:9/hooks' })).status).toBe(201);
      expect(mode(dataDir)).toBe('700');
      for (const file of ['engine.db', 'engine.db-wal', 'engine.db-shm'])
        expect(mode(join(dataDir, file)), file).toBe('600');
    } finally {
      await engine.close();
    }
  });

  it('tightens a database an older engine left world-readable', async () => {
    const dataDir = join(root, 'older');
    const engine = await startTestEngine({}, dataDir);
    await engine.close();
    for (const file of ['engine.db', 'engine.db-wal', 'engine.db-shm']) {
      // Closing checkpoints and removes the WAL files; recreate them as an older engine would leave them.
      if (file !== 'engine.db') writeFileSync(join(dataDir, file), '');
      chmodSync(join(dataDir, file), 0o644);
    }
    const again = await startTestEngine({}, dataDir);
    try {
      for (const file of ['engine.db', 'engine.db-wal', 'engine.db-shm'])
        expect(mode(join(dataDir, file)), file).toBe('600');
      new Database(join(dataDir, 'engine.db'), { readonly: true }).close(); // still a database
    } finally {
      await again.close();
    }
  });
});
