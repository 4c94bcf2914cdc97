import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ENV_NAMES, loadConfig } from './config.js';

describe('config', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'orra-config-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('has the documented defaults', () => {
    const config = loadConfig({ env: { ORRA_DATA_DIR: '/tmp/orra-x' } });
    expect(config).toMatchObject({ port: 8005, host: '127.0.0.1', taskMaxAttempts: 5, taskTimeoutMs: 30_000 });
    expect(config.databaseUrl).toBe('sqlite:/tmp/orra-x/engine.db');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lets the environment override the config file, and overrides win over both', () => {
    const dir = tempDir();
    const file = join(dir, 'engine.json');
    writeFileSync(file, JSON.stringify({ port: 9000, taskMaxAttempts: 7 }));
    const config = loadConfig({ env: { ORRA_CONFIG_FILE: file, PORT: '9100' }, overrides: { taskMaxAttempts: 2 } });
    expect(config.port).toBe(9100);
    expect(config.taskMaxAttempts).toBe(2);
  });

  it('fails naming the key and its source when a value is invalid', () => {
    expect(() => loadConfig({ env: { PORT: 'eighty' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { PORT: 'eighty' } })).toThrow(/PORT \(environment\)/);
    expect(() => loadConfig({ env: { ORRA_LOG_LEVEL: 'loud' } })).toThrow(/ORRA_LOG_LEVEL/);
    expect(() => loadConfig({ env: { ORRA_DATABASE_URL: 'mysql://x' } })).toThrow(/ORRA_DATABASE_URL/);
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ colour: 'red' }));
    expect(() => loadConfig({ env: { ORRA_CONFIG_FILE: file } })).toThrow(/unknown key "colour"/);
  });

  it('accepts PostgreSQL URLs with a schema name, and never echoes a password back', () => {
    const config = loadConfig({ env: { ORRA_DATABASE_URL: 'postgres://orra:pw@db:5432/orra', ORRA_DATABASE_SCHEMA: 'orra_prod' } });
    expect(config).toMatchObject({ databaseUrl: 'postgres://orra:pw@db:5432/orra', databaseSchema: 'orra_prod' });
    expect(loadConfig({ env: { ORRA_DATABASE_URL: 'postgresql://db/orra' } }).databaseSchema).toBe('public');
    expect(() => loadConfig({ env: { ORRA_DATABASE_SCHEMA: 'Bad-Name' } })).toThrow(/ORRA_DATABASE_SCHEMA \(environment\)/);
    expect(() => loadConfig({ env: { ORRA_DATABASE_URL: 'mysql://orra:hunter2@db/orra' } })).toThrow(/mysql:\/\/orra:\*\*\*@db\/orra/);
  });

  it('documents every key in docs/config.md', () => {
    const docs = readFileSync(fileURLToPath(new URL('../../../../docs/config.md', import.meta.url)), 'utf8');
    for (const [key, env] of Object.entries(ENV_NAMES)) {
      expect(docs, `${key} / ${env} missing from docs/config.md`).toContain(`\`${env}\``);
      expect(docs, `${key} missing from docs/config.md`).toContain(`\`${key}\``);
    }
  });
});
