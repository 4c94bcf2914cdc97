import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ENV_NAMES, loadConfig, redactUrl, type Config, type LoadConfigOptions } from './config/config.js';
import { UnownedAnswers } from './answers/unowned-answers.js';
import { CompensationRunner } from './compensation/compensation-runner.js';
import { planCompensations } from './compensation/compensation-planner.js';
import { FailedCompensationService } from './compensation/failed-compensation-service.js';
import { oneLine, StartupError } from './errors/startup-error.js';
import { ConsoleSessions } from './console/console-sessions.js';
import { SignInLimiter } from './console/sign-in-limiter.js';
import { loadTracingConfig, type TracingConfig } from './config/tracing-config.js';
import { createHttpServer, ENGINE_VERSION } from './http/server.js';
import { createLogger, type Logger } from './logging/logger.js';
import { EngineMetrics } from './metrics/engine-metrics.js';
import { OrchestrationRunner } from './orchestration/orchestration-runner.js';
import { OrchestrationService } from './orchestration/orchestration-service.js';
import { createPlanningService } from './planning/create-planning-service.js';
import { GroundingService } from './planning/grounding-service.js';
import { ProjectService } from './projects/project-service.js';
import { ServiceRegistry } from './services/service-registry.js';
import { ServiceHealthWatch } from './services/service-health-watch.js';
import { LocalCluster, type Cluster } from './cluster/cluster.js';
import { newNodeId } from './cluster/node-id.js';
import { PostgresCluster } from './cluster/postgres-cluster.js';
import type { ServiceConnections } from './orchestration/service-connections.js';
import { RetentionSweeper } from './retention/retention-sweeper.js';
import { createStore } from './storage/create-store.js';
import { PostgresStore } from './storage/postgres/postgres-store.js';
import { DatabaseInUseError } from './storage/sqlite/database-lock.js';
import { createTracing } from './tracing/create-tracing.js';
import { SpanDropCounter } from './tracing/span-drop-counter.js';
import type { Tracing } from './tracing/tracing.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Store } from './storage/store.js';
import { EventFeed } from './events/event-feed.js';
import { EventSignal } from './events/event-signal.js';
import { ProgressSignal, type ProgressNotice } from './events/progress-signal.js';
import type { Enqueued } from './webhooks/webhook-outbox.js';
import { Webhooks } from './webhooks/webhooks.js';
import { WsHub } from './ws/ws-hub.js';

export { loadConfig, ConfigError, type Config } from './config/config.js';
export { StartupError } from './errors/startup-error.js';
export { Tracing } from './tracing/tracing.js';
export { loadTracingConfig, type TracingConfig } from './config/tracing-config.js';

/** A running engine. */
export interface Engine {
  config: Config;
  /** This process's id among engines sharing a PostgreSQL database (`local` on SQLite). */
  nodeId: string;
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:8005`. */
  url: string;
  port: number;
  http: FastifyInstance;
  store: Store;
  runner: OrchestrationRunner;
  compensations: CompensationRunner;
  webhooks: Webhooks;
  metrics: EngineMetrics;
  tracing: Tracing;
  log: Logger;
  /** Stops taking work, closes sockets and storage; in-flight orchestrations resume on the next start. */
  close(): Promise<void>;
}

export interface StartEngineOptions extends LoadConfigOptions {
  config?: Config;
  logger?: Logger;
  /**
   * The engine can no longer work safely (on PostgreSQL: its cluster session ended, so other processes
   * take its work over). The process entry stops the engine and exits non-zero.
   */
  onFatal?: (err: Error) => void;
  /** Tracing settings; read from the `OTEL_*` variables of `env` (or the process) when absent. */
  tracingConfig?: TracingConfig;
  /**
   * Tests: export every span to this exporter as it ends, tracing on whatever the variables say (an
   * InMemorySpanExporter per engine keeps engines in one process apart).
   */
  spanExporter?: SpanExporter;
}

/**
 * The composition root: opens storage (on SQLite, taking the database's lock: one engine per file), builds
 * every part, binds the port, resumes in-flight work, and only then answers requests. Binding before
 * resuming means an engine that cannot listen has resumed nothing; until resuming is done, requests get
 * 503 `Orra:PlanEngineStarting` and WebSocket upgrades 503, so nothing sees half-loaded state.
 * A failure to start is a StartupError (or ConfigError) whose message is one line saying what to do.
 */
export async function startEngine(options: StartEngineOptions = {}): Promise<Engine> {
  const config = options.config ?? loadConfig(options);
  const tracingConfig = options.tracingConfig ?? loadTracingConfig(options.env);
  const log = options.logger ?? createLogger(config.logLevel);
  try {
    return await start(config, tracingConfig, log, options);
  } catch (err) {
    // The process entry prints one line; the stack is here for whoever runs with ORRA_LOG_LEVEL=debug.
    log.debug({ err }, 'start-up failed');
    throw err;
  }
}

async function start(config: Config, tracingConfig: TracingConfig, log: Logger, options: StartEngineOptions): Promise<Engine> {
  const now = Date.now;
  const nodeId = newNodeId();
  const store = await openStore(config, log, nodeId);
  const metrics = new EngineMetrics();
  const tracing = await createTracing(tracingConfig, {
    readAnchor: async (id) => (await store.orchestrations.getById(id))?.traceContext,
    serviceVersion: ENGINE_VERSION,
    dropCounter: new SpanDropCounter(metrics.registry),
    log,
    ...(options.spanExporter ? { exporter: options.spanExporter } : {}),
  });
  const projects = new ProjectService(store, now);
  const services = new ServiceRegistry(store, now);
  const hub = new WsHub(projects, services, log.child({ component: 'ws' }), {
    pingIntervalMs: config.wsPingIntervalMs,
    appPingIntervalMs: config.wsAppPingIntervalMs,
  });
  // The runners reach services through the cluster: local sockets, or another engine process's.
  // (`cluster` is built below, once the runners it connects exist; nothing sends before start-up ends.)
  const connections: ServiceConnections = {
    isConnected: (serviceId) => cluster.isConnected(serviceId),
    send: (serviceId, message) => cluster.send(serviceId, message),
  };
  const runner = new OrchestrationRunner(store, connections, log.child({ component: 'runner' }), {
    taskMaxAttempts: config.taskMaxAttempts,
    taskBackoffMs: config.taskBackoffMs,
    taskBackoffCapMs: config.taskBackoffCapMs,
    now,
    tracing,
    onProgress: (projectId, notice) => cluster.progress(projectId, notice),
    health: {
      taskWaiting: (projectId, serviceId, since) => serviceHealth.taskWaiting(projectId, serviceId, since),
      serviceConnected: (serviceId) => serviceHealth.serviceConnected(serviceId),
    },
  });
  const compensations = new CompensationRunner(store, connections, log.child({ component: 'compensation' }), {
    attemptTimeoutMs: config.compensationAttemptTimeoutMs,
    backoffMs: config.compensationBackoffMs,
    backoffCapMs: config.compensationBackoffCapMs,
    now,
    tracing,
    onProgress: (projectId, notice) => cluster.progress(projectId, notice),
  });
  // Compensation records commit in the same transaction that fails or aborts the orchestration.
  runner.onFinalize((step) => {
    const planned = planCompensations(step, { maxAttempts: config.compensationMaxAttempts });
    if (planned.length === 0) return;
    for (const c of planned) c.traceContext = tracing.compensationContext(step.live.record, step.live.tasks.get(c.taskId)!);
    step.addWrite((tx) => tx.compensations.save(planned));
    step.afterCommit(() => compensations.begin(planned));
  });
  // Webhook events commit in the transaction of the state change they report (transactional outbox).
  const eventSignal = new EventSignal();
  const webhooks = new Webhooks(store, config, log.child({ component: 'webhooks' }), metrics, now, tracing, (projectId) => eventSignal.notify(projectId));
  webhooks.attach(runner, compensations);
  // `service.unhealthy` / `service.healthy` (operator events): the runner tells it of waits and connects.
  const serviceHealth = new ServiceHealthWatch(store, webhooks.operatorEvents, log.child({ component: 'service-health' }), {
    unhealthyAfterMs: config.serviceUnhealthyAfterMs,
    isConnected: (serviceId) => cluster.isConnected(serviceId),
    isWaitingFor: (serviceId) => runner.isWaitingFor(serviceId),
    now,
  });
  metrics.setEventReadersSource(() => eventSignal.size);
  // Progress notices (not logged): what a running orchestration's tasks did, for streams that ask.
  const progressSignal = new ProgressSignal();
  const events = new EventFeed(store, eventSignal, progressSignal, {
    keepaliveMs: config.eventStreamKeepaliveMs,
    bookmarkMs: config.eventStreamBookmarkMs,
    maxBufferBytes: config.eventStreamMaxBufferBytes,
  });
  const answers = new UnownedAnswers(store, compensations, log.child({ component: 'answers' }), {
    maxAttempts: config.compensationMaxAttempts,
    now,
    lateResults: {
      write: (tx, o, task, reason, at) => webhooks.operatorEvents.lateResult(tx, o, task, reason, at),
      afterCommit: (written) => webhooks.operatorEvents.wake([written as Enqueued | undefined]),
    },
  });
  const parts = {
    hub,
    runner,
    compensations,
    answers,
    wakeWebhooks: () => webhooks.start(),
    eventsCommitted: (projectId: string) => eventSignal.notify(projectId),
    progressHeard: (projectId: string, notice: ProgressNotice) => progressSignal.publish(projectId, notice),
  };
  const cluster: Cluster =
    store instanceof PostgresStore
      ? new PostgresCluster(store.pool, store, parts, log.child({ component: 'cluster' }), {
          nodeId: store.nodeId,
          url: config.databaseUrl,
          schema: config.databaseSchema,
          checkIntervalMs: config.clusterCheckIntervalMs,
          routing: config.clusterRouting,
          metrics,
          onSessionLost: (err) => options.onFatal?.(err),
        })
      : new LocalCluster(parts);
  const failedCompensations = new FailedCompensationService(store, compensations, connections, now, {
    write: (tx, record, action, reason, keyId, at) => webhooks.operatorEvents.compensationDisposed(tx, record, action, reason, keyId, at),
    afterCommit: (written) => webhooks.operatorEvents.wake([written as Enqueued | undefined]),
  });
  const planning = createPlanningService(config, store, log.child({ component: 'planning' }), now);
  const groundings = new GroundingService(store, now);
  const orchestrations = new OrchestrationService(store, runner, config, now, planning, tracing);
  let isStarting = true;
  const http = createHttpServer(
    {
      config,
      store,
      projects,
      services,
      orchestrations,
      failedCompensations,
      groundings,
      aborts: cluster,
      presence: cluster,
      webhooks,
      events,
      metrics,
      consoleSessions: new ConsoleSessions(store, projects, { idleMs: config.consoleSessionIdleMs, maxMs: config.consoleSessionMaxMs, now }),
      signInLimiter: new SignInLimiter(config.consoleSignInsPerMinute, now),
      now,
    },
    log,
    { isStarting: () => isStarting, tracing },
  );
  hub.attach(http.server, cluster);
  const retention = new RetentionSweeper(store, log.child({ component: 'retention' }), {
    retentionMs: config.retentionMs,
    intervalMs: config.retentionSweepIntervalMs,
    now,
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      hub.close();
      events.closeStreams();
      await http.close();
      await runner.stop();
      await serviceHealth.stop();
      await compensations.stop();
      await webhooks.stop();
      await retention.stop();
      await cluster.close();
      await store.close();
      // Spans still queued go out now, for at most 5 s: an unreachable collector never holds a stop up.
      await tracing.shutdown(5_000);
      log.info('engine stopped');
    })());

  let resumed: Awaited<ReturnType<Cluster['start']>>;
  try {
    await listen(http, config);
    resumed = await cluster.start();
    await webhooks.endProbeLeases();
  } catch (err) {
    await close().catch((closeErr: unknown) => log.warn({ err: closeErr }, 'clean-up after a failed start failed'));
    throw err;
  }
  isStarting = false;
  hub.acceptConnections();
  webhooks.start();
  retention.start();
  const port = (http.server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info(
    {
      url,
      nodeId: cluster.nodeId,
      resumed: resumed.orchestrations,
      resumedCompensations: resumed.compensations,
      database: redactUrl(config.databaseUrl),
    },
    'engine listening',
  );

  return {
    config,
    nodeId: cluster.nodeId,
    url,
    port,
    http,
    store,
    runner,
    compensations,
    webhooks,
    metrics,
    tracing,
    log,
    close,
  };
}

/** Opens the configured store; a failure is one line naming the database and what to check. */
async function openStore(config: Config, log: Logger, nodeId: string): Promise<Store> {
  try {
    return await createStore(config, log.child({ component: 'storage' }), nodeId);
  } catch (err) {
    if (err instanceof DatabaseInUseError) {
      throw new StartupError(
        `${err.message}: stop that engine first, or give this one its own ${ENV_NAMES.dataDir} (only PostgreSQL takes several engines on one database)`,
        { cause: err },
      );
    }
    throw new StartupError(
      `cannot open the database ${redactUrl(config.databaseUrl)}: ${oneLine(err)} (check ${ENV_NAMES.databaseUrl})`,
      { cause: err },
    );
  }
}

/** Binds the HTTP/WebSocket port; a failure is one line naming the address and the setting to change. */
async function listen(http: FastifyInstance, config: Config): Promise<void> {
  try {
    await http.listen({ port: config.port, host: config.host });
  } catch (err) {
    const address = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
    const hints: Record<string, string> = {
      EADDRINUSE: `address already in use: another process listens there; stop it or set ${ENV_NAMES.port} to a free port`,
      EACCES: `permission denied: ports below 1024 need privileges; set ${ENV_NAMES.port} to 1024 or above`,
      EADDRNOTAVAIL: `address not available: no interface of this machine has it; check ${ENV_NAMES.host}`,
      ENOTFOUND: `unknown host name; check ${ENV_NAMES.host}`,
    };
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new StartupError(`cannot listen on ${address}: ${hints[code] ?? oneLine(err)}`, { cause: err });
  }
}
