import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { ProjectService } from './project-service.js';

// What the HTTP API cannot show: which keys the engine reads from storage again (its bounded cache),
// the key id its audit entries carry, and what it stores about each key.
describe('ProjectService keys', () => {
  let dir: string;
  let store: SqliteStore;
  let lookups: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'orra-keys-'));
    store = new SqliteStore(join(dir, 'engine.db'));
    lookups = [];
    const findByHash = store.apiKeys.findByHash.bind(store.apiKeys);
    store.apiKeys.findByHash = (hash) => {
      lookups.push(hash);
      return findByHash(hash);
    };
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

  it('keeps at most maxCachedKeys keys cached, dropping the oldest, and still authenticates a dropped one', async () => {
    const projects = new ProjectService(store, Date.now, 2);
    const { project, apiKey: a } = await projects.register({
      name: 'cache',
      webhooks: [],
      compensationFailureWebhooks: [],
    });
    const b = await projects.addApiKey(project.id);
    const c = await projects.addApiKey(project.id);
    for (const key of [a, b, c]) expect((await projects.authenticate(key)).projectId).toBe(project.id);
    expect(lookups).toEqual([sha256(a), sha256(b), sha256(c)]); // c pushed a out
    lookups = [];
    await projects.authenticate(b);
    await projects.authenticate(c);
    expect(lookups).toEqual([]); // both cached
    expect((await projects.authenticate(a)).projectId).toBe(project.id);
    expect(lookups).toEqual([sha256(a)]); // read again, pushing b out
    await projects.authenticate(c);
    await projects.authenticate(b);
    expect(lookups).toEqual([sha256(a), sha256(b)]);
  });

  it('names the caller by the first 12 hex digits of its key hash, never the key', async () => {
    const projects = new ProjectService(store);
    const { project, apiKey } = await projects.register({
      name: 'ids',
      webhooks: [],
      compensationFailureWebhooks: [],
    });
    expect(await projects.authenticate(apiKey)).toEqual({
      projectId: project.id,
      keyId: sha256(apiKey).slice(0, 12),
      keyHash: sha256(apiKey),
      keyLabel: 'primary',
      role: 'operate',
    });
  });

  it('stores each key as its hash with a short prefix to recognise it by, the first as primary', async () => {
    const projects = new ProjectService(store, () => 1_767_000_000_000);
    const { project, apiKey } = await projects.register({
      name: 'stored',
      webhooks: [],
      compensationFailureWebhooks: [],
    });
    const extra = await projects.addApiKey(project.id);
    expect(await store.apiKeys.findByHash(sha256(apiKey))).toEqual({
      keyHash: sha256(apiKey),
      projectId: project.id,
      prefix: apiKey.slice(0, 'sk-orra-v1-'.length + 6),
      isPrimary: true,
      createdAt: 1_767_000_000_000,
      role: 'operate',
      label: 'primary',
    });
    expect(await store.apiKeys.findByHash(sha256(extra))).toMatchObject({
      prefix: extra.slice(0, 17),
      isPrimary: false,
    });
    expect(extra.slice(0, 17)).toMatch(/^sk-orra-v1-[0-9a-f]{6}$/);
  });

  it('refuses a missing, non-sk-orra or unknown key, without reading storage for a key of another form', async () => {
    const projects = new ProjectService(store);
    await expect(projects.authenticate(undefined)).rejects.toThrow(
      'missing API key: send "Authorization: Bearer sk-orra-…"',
    );
    await expect(projects.authenticate('')).rejects.toThrow('missing API key');
    await expect(projects.authenticate('Basic-abc')).rejects.toThrow(/^unknown API key$/);
    expect(lookups).toEqual([]);
    await expect(projects.authenticate('sk-orra-v1-0000')).rejects.toThrow(/^unknown API key$/);
    expect(lookups).toEqual([sha256('sk-orra-v1-0000')]);
  });
});
