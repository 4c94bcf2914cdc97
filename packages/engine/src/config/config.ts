import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_PROBE_SCHEDULE, DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from '../webhooks/retry-schedule.js';

/**
 * The engine's configuration: defaults → config file → environment → explicit overrides (flags/tests).
 * This is the only module that reads `process.env`. Every key is listed in docs/config.md.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const int = (min: number) => z.coerce.number().int().min(min);
/** `true`/`false` (or 1/0) from the environment; z.coerce.boolean would read "false" as true. */
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');
const retrySchedule = z.string().transform((text, ctx) => {
  const delays = parseRetrySchedule(text);
  if (typeof delays === 'string') ctx.addIssue({ code: 'custom', message: delays });
  return typeof delays === 'string' ? [] : delays;
});

const ConfigSchema = z.object({
  port: int(0).max(65535),
  host: z.string().min(1),
  dataDir: z.string().min(1),
  databaseUrl: z.string().min(1),
  // PostgreSQL only. A plain lower-case identifier, so it needs no quoting in search_path (set at connect).
  databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier (a-z, 0-9, _; at most 63)'),
  logLevel: z.enum(LOG_LEVELS),
  adminToken: z.string().min(16).optional(),
  bodyLimitBytes: int(1024),
  taskTimeoutMs: int(1),
  taskMaxAttempts: int(1),
  taskBackoffMs: int(0),
  taskBackoffCapMs: int(0),
  healthCheckGracePeriodMs: int(0),
  serviceUnhealthyAfterMs: int(1),
  wsPingIntervalMs: int(100),
  wsAppPingIntervalMs: int(100),
  shutdownTimeoutMs: int(0),
  clusterCheckIntervalMs: int(50),
  clusterRouting: z.enum(['local-first', 'spread']),
  retentionMs: int(0),
  eventStreamKeepaliveMs: int(100),
  eventStreamBookmarkMs: int(100),
  eventStreamMaxBufferBytes: int(4096),
  retentionSweepIntervalMs: int(100),
  compensationMaxAttempts: int(1),
  compensationBackoffMs: int(0),
  compensationBackoffCapMs: int(0),
  compensationAttemptTimeoutMs: int(1),
  webhookTimeoutMs: int(1),
  webhookRetrySchedule: retrySchedule,
  webhookDenyPrivate: bool,
  webhookSecretOverlapMs: int(0),
  webhookMaxConcurrencyPerEndpoint: int(1),
  webhookMaxConcurrency: int(1),
  webhookBreakerFailures: int(2),
  webhookProbeSchedule: retrySchedule,
  webhookFailingDisableAfterMs: int(1),
  metricsToken: z.string().min(1).optional(),
  llmApiBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
  llmModel: z.string().min(1).optional(),
  llmApiKey: z.string().min(1).optional(),
  llmTimeoutMs: int(1),
  consoleSessionIdleMs: int(1000),
  consoleSessionMaxMs: int(1000),
  consoleSignInsPerMinute: int(1),
});

/** The validated, frozen engine configuration. */
export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Which environment variable feeds each key. */
export const ENV_NAMES: Record<keyof Config, string> = {
  port: 'PORT',
  host: 'ORRA_HOST',
  dataDir: 'ORRA_DATA_DIR',
  databaseUrl: 'ORRA_DATABASE_URL',
  databaseSchema: 'ORRA_DATABASE_SCHEMA',
  logLevel: 'ORRA_LOG_LEVEL',
  adminToken: 'ORRA_ADMIN_TOKEN',
  bodyLimitBytes: 'ORRA_BODY_LIMIT_BYTES',
  taskTimeoutMs: 'ORRA_TASK_TIMEOUT_MS',
  taskMaxAttempts: 'ORRA_TASK_MAX_ATTEMPTS',
  taskBackoffMs: 'ORRA_TASK_BACKOFF_MS',
  taskBackoffCapMs: 'ORRA_TASK_BACKOFF_CAP_MS',
  healthCheckGracePeriodMs: 'ORRA_HEALTH_CHECK_GRACE_PERIOD_MS',
  serviceUnhealthyAfterMs: 'ORRA_SERVICE_UNHEALTHY_AFTER_MS',
  wsPingIntervalMs: 'ORRA_WS_PING_INTERVAL_MS',
  wsAppPingIntervalMs: 'ORRA_WS_APP_PING_INTERVAL_MS',
  shutdownTimeoutMs: 'ORRA_SHUTDOWN_TIMEOUT_MS',
  clusterCheckIntervalMs: 'ORRA_CLUSTER_CHECK_INTERVAL_MS',
  clusterRouting: 'ORRA_CLUSTER_ROUTING',
  retentionMs: 'ORRA_RETENTION_MS',
  eventStreamKeepaliveMs: 'ORRA_EVENT_STREAM_KEEPALIVE_MS',
  eventStreamBookmarkMs: 'ORRA_EVENT_STREAM_BOOKMARK_MS',
  eventStreamMaxBufferBytes: 'ORRA_EVENT_STREAM_MAX_BUFFER_BYTES',
  retentionSweepIntervalMs: 'ORRA_RETENTION_SWEEP_INTERVAL_MS',
  compensationMaxAttempts: 'ORRA_COMPENSATION_MAX_ATTEMPTS',
  compensationBackoffMs: 'ORRA_COMPENSATION_BACKOFF_MS',
  compensationBackoffCapMs: 'ORRA_COMPENSATION_BACKOFF_CAP_MS',
  compensationAttemptTimeoutMs: 'ORRA_COMPENSATION_ATTEMPT_TIMEOUT_MS',
  webhookTimeoutMs: 'ORRA_WEBHOOK_TIMEOUT_MS',
  webhookRetrySchedule: 'ORRA_WEBHOOK_RETRY_SCHEDULE',
  webhookDenyPrivate: 'ORRA_WEBHOOK_DENY_PRIVATE',
  webhookSecretOverlapMs: 'ORRA_WEBHOOK_SECRET_OVERLAP_MS',
  webhookMaxConcurrencyPerEndpoint: 'ORRA_WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT',
  webhookMaxConcurrency: 'ORRA_WEBHOOK_MAX_CONCURRENCY',
  webhookBreakerFailures: 'ORRA_WEBHOOK_BREAKER_FAILURES',
  webhookProbeSchedule: 'ORRA_WEBHOOK_PROBE_SCHEDULE',
  webhookFailingDisableAfterMs: 'ORRA_WEBHOOK_FAILING_DISABLE_AFTER_MS',
  metricsToken: 'ORRA_METRICS_TOKEN',
  // orra's names, so an orra .env keeps working (orra defaults the base URL to OpenAI; we plan offline
  // unless it is set).
  llmApiBaseUrl: 'LLM_API_BASE_URL',
  llmModel: 'LLM_MODEL',
  llmApiKey: 'LLM_API_KEY',
  llmTimeoutMs: 'ORRA_LLM_TIMEOUT_MS',
  consoleSessionIdleMs: 'ORRA_CONSOLE_SESSION_IDLE_MS',
  consoleSessionMaxMs: 'ORRA_CONSOLE_SESSION_MAX_MS',
  consoleSignInsPerMinute: 'ORRA_CONSOLE_SIGN_INS_PER_MINUTE',
};

/** The defaults, before the data dir is known. */
export const DEFAULTS = {
  port: 8005,
  host: '127.0.0.1',
  databaseSchema: 'public',
  logLevel: 'info',
  bodyLimitBytes: 16 * 1024 * 1024,
  taskTimeoutMs: 30_000,
  taskMaxAttempts: 5,
  taskBackoffMs: 2_000,
  taskBackoffCapMs: 30_000,
  healthCheckGracePeriodMs: 30 * 60_000,
  // Long enough that an SDK's reconnect after a network blip or a rolling restart says nothing.
  serviceUnhealthyAfterMs: 60_000,
  wsPingIntervalMs: 5_000,
  wsAppPingIntervalMs: 54_000,
  shutdownTimeoutMs: 10_000,
  clusterCheckIntervalMs: 1_000,
  clusterRouting: 'local-first',
  retentionMs: 30 * 24 * 3_600_000,
  eventStreamKeepaliveMs: 15_000,
  eventStreamBookmarkMs: 30_000,
  eventStreamMaxBufferBytes: 1024 * 1024,
  retentionSweepIntervalMs: 3_600_000,
  compensationMaxAttempts: 10,
  compensationBackoffMs: 2_000,
  compensationBackoffCapMs: 60_000,
  compensationAttemptTimeoutMs: 30_000,
  webhookTimeoutMs: 10_000,
  webhookRetrySchedule: DEFAULT_RETRY_SCHEDULE,
  webhookDenyPrivate: false,
  webhookSecretOverlapMs: 24 * 3_600_000,
  webhookMaxConcurrencyPerEndpoint: 16,
  webhookMaxConcurrency: 256,
  webhookBreakerFailures: 5,
  webhookProbeSchedule: DEFAULT_PROBE_SCHEDULE,
  webhookFailingDisableAfterMs: 72 * 3_600_000,
  llmTimeoutMs: 120_000,
  // A console left open over lunch stays signed in; one left overnight does not.
  consoleSessionIdleMs: 2 * 3_600_000,
  consoleSessionMaxMs: 12 * 3_600_000,
  consoleSignInsPerMinute: 10,
} as const;

/** Raised when configuration is invalid; the message names the key and where its value came from. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Source = 'default' | 'config file' | 'environment' | 'override';

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Values that win over everything (command-line flags, tests). */
  overrides?: Partial<Record<keyof Config, unknown>>;
}

/** Loads and validates the configuration, or throws a ConfigError naming the bad key. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const values: Record<string, unknown> = { ...DEFAULTS };
  const sources: Record<string, Source> = Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, 'default']));

  const filePath = env.ORRA_CONFIG_FILE;
  if (filePath) {
    const fromFile = readConfigFile(filePath);
    for (const [key, value] of Object.entries(fromFile)) {
      if (!(key in ENV_NAMES)) throw new ConfigError(`unknown key "${key}" in config file ${filePath}`);
      values[key] = value;
      sources[key] = 'config file';
    }
  }
  for (const [key, envName] of Object.entries(ENV_NAMES)) {
    const raw = env[envName];
    if (raw !== undefined && raw !== '') {
      values[key] = raw;
      sources[key] = 'environment';
    }
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) {
      values[key] = value;
      sources[key] = 'override';
    }
  }
  values.dataDir = resolve(String(values.dataDir ?? join(homedir(), '.orra')));
  values.databaseUrl ??= `sqlite:${join(values.dataDir as string, 'engine.db')}`;
  sources.dataDir ??= 'default';
  sources.databaseUrl ??= 'default';

  const parsed = ConfigSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'config') as keyof Config;
    const origin = sources[key] === 'environment' ? `${ENV_NAMES[key]} (environment)` : `${key} (${sources[key]})`;
    throw new ConfigError(`invalid configuration ${origin}: ${issue?.message ?? 'invalid value'}`);
  }
  const config = parsed.data;
  if (config.llmApiBaseUrl !== undefined && config.llmModel === undefined) {
    throw new ConfigError(`invalid configuration ${ENV_NAMES.llmModel}: required when ${ENV_NAMES.llmApiBaseUrl} is set`);
  }
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(config.databaseUrl)) {
    throw new ConfigError(
      `invalid configuration ${ENV_NAMES.databaseUrl}: expected sqlite:<path> or postgres://…, got "${redactUrl(config.databaseUrl)}"`,
    );
  }
  return Object.freeze(config);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ORRA_CONFIG_FILE=${path}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not a JSON object: ${(err as Error).message}`);
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** The SQLite file path of a `sqlite:` database URL. */
export function sqlitePath(databaseUrl: string): string {
  return databaseUrl.replace(/^sqlite:(\/\/)?/, '');
}
