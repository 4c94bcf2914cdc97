import { ERROR_CODES } from '@orra/protocol';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { EngineError } from '../errors/engine-error.js';
import type { Logger } from '../logging/logger.js';
import { installJsonParser } from './body.js';
import { frameworkError, installErrorHandler } from './error-handler.js';
import { installAuditHooks } from './audit-hooks.js';
import { installAuth } from './request-auth.js';
import type { RouteDeps } from './route-deps.js';
import { auditRoutes } from './routes/audit.js';
import { consoleRoutes } from './routes/console.js';
import { compensationFailureRoutes } from './routes/compensation-failures.js';
import { eventRoutes } from './routes/events.js';
import { groundingRoutes } from './routes/groundings.js';
import { metricsRoutes } from './routes/metrics.js';
import { orchestrationRoutes } from './routes/orchestrations.js';
import { projectRoutes } from './routes/projects.js';
import { serviceRoutes } from './routes/services.js';
import { webhookRoutes } from './routes/webhooks.js';
import { traceHttpRequests } from '../tracing/http-tracing.js';
import type { Tracing } from '../tracing/tracing.js';

/** The version we report in orra's `X-Orra-PlaneEngine-Version` header (orra's spelling). */
export const ENGINE_VERSION = '0.1.0';

export interface HttpServerOptions {
  /**
   * True while the engine resumes in-flight work after binding its port: every request then gets 503
   * `Orra:PlanEngineStarting` with `Retry-After: 1` (`/health` included, so a supervisor waits for it).
   */
  isStarting?: () => boolean;
  /** The prebuilt console's folder (tests point it elsewhere); found in @orra/console when not given. */
  consoleDistDir?: string;
  /** A server span per request, continuing the caller's trace (nothing when tracing is off). */
  tracing?: Tracing;
}

const ROUTE_TABLE = 'orraRouteTable';

/** One registered route and the options our hooks read. */
export interface RouteEntry {
  method: string;
  url: string;
  config: { isPublic?: boolean; isAllowedForReadKeys?: boolean; audit?: { action: string } };
}

/** Every route of the API as registered, so tests can check each changing route is guarded and audited. */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return (app as unknown as Record<string, RouteEntry[]>)[ROUTE_TABLE] ?? [];
}

/** Builds the HTTP API. Routes are authenticated unless marked `isPublic`. */
export function createHttpServer(deps: RouteDeps, log: Logger, options: HttpServerOptions = {}): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimitBytes,
    // Our route paths are exact; `/orchestrations/` must not silently match `/orchestrations`.
    routerOptions: { ignoreTrailingSlash: false },
    frameworkErrors: frameworkError,
  });
  if (options.tracing) traceHttpRequests(app, options.tracing);
  installJsonParser(app);
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, config: (route.config ?? {}) as RouteEntry['config'] });
  });
  app.decorate(ROUTE_TABLE, routes);
  installErrorHandler(app);
  app.addHook('onRequest', async (_request, reply) => {
    if (!options.isStarting?.()) return;
    void reply.header('retry-after', '1');
    throw new EngineError(ERROR_CODES.STARTING, 'the engine is starting: it is resuming in-flight work; retry in a moment');
  });
  installAuth(app, deps);
  installAuditHooks(app, deps);
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('X-Orra-PlaneEngine-Version', ENGINE_VERSION);
  });
  projectRoutes(app, deps);
  serviceRoutes(app, deps);
  orchestrationRoutes(app, deps);
  compensationFailureRoutes(app, deps);
  groundingRoutes(app, deps);
  webhookRoutes(app, deps);
  eventRoutes(app, deps);
  metricsRoutes(app, deps);
  auditRoutes(app, deps);
  consoleRoutes(app, deps, options.consoleDistDir);
  return app;
}
