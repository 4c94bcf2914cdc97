import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngine, type Engine, type StartEngineOptions } from '../../src/app.js';
import type { Logger } from '../../src/logging/logger.js';
import {
  dropSchema,
  isPostgresRun,
  prepareSchema,
  schemaForDataDir,
  TEST_DATABASE_URL,
} from './test-database.js';

/**
 * A real engine on port 0 with its own storage: a SQLite file under a temporary data dir, or, with
 * `ORRA_TEST_DATABASE=postgres`, a PostgreSQL schema of its own (named after the data dir).
 */
export interface TestEngine extends Engine {
  dataDir: string;
  /** Closes the engine and deletes its data dir (and schema). */
  dispose(): Promise<void>;
}

/**
 * Starts an engine for a test. Overrides use config key names (`taskBackoffMs`, …); `logger` replaces
 * the engine's (for tests that read what it logs).
 */
export async function startTestEngine(
  overrides: Record<string, unknown> = {},
  dataDir?: string,
  logger?: Logger,
  /** More start options (e.g. `spanExporter`, `env` for the OTEL_* variables). */
  extra: Pick<StartEngineOptions, 'spanExporter' | 'env'> = {},
): Promise<TestEngine> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'orra-test-'));
  const schema = schemaForDataDir(dir);
  if (isPostgresRun) await prepareSchema(dir);
  const storage = isPostgresRun ? { databaseUrl: TEST_DATABASE_URL, databaseSchema: schema } : {};
  let engine: Engine;
  try {
    engine = await startEngine({
      ...(logger ? { logger } : {}),
      env: {},
      ...extra,
      overrides: {
        port: 0,
        dataDir: dir,
        logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
        ...storage,
        ...overrides,
      },
    });
  } catch (err) {
    // An engine that did not start leaves nothing behind either.
    if (!dataDir) {
      rmSync(dir, { recursive: true, force: true });
      if (isPostgresRun) await dropSchema(schema);
    }
    throw err;
  }
  return Object.assign(engine, {
    dataDir: dir,
    async dispose() {
      await engine.close();
      if (dataDir) return;
      rmSync(dir, { recursive: true, force: true });
      if (isPostgresRun) await dropSchema(schema);
    },
  });
}

/**
 * One of several engine processes sharing a PostgreSQL schema (the cluster tests): its own temporary
 * data dir, the schema given. Pushes its close and the data dir's removal onto `cleanup`; the schema is
 * the caller's to drop.
 */
export async function startClusterEngine(
  schema: string,
  cleanup: (() => unknown)[],
  overrides: Record<string, unknown> = {},
): Promise<Engine> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orra-cluster-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const engine = await startEngine({
    env: {},
    overrides: {
      port: 0,
      dataDir,
      logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
      databaseUrl: TEST_DATABASE_URL,
      databaseSchema: schema,
      ...overrides,
    },
  });
  cleanup.push(() => engine.close());
  return engine;
}
