import { ERROR_CODES } from '@orra/protocol';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { EngineError } from '../errors/engine-error.js';
import type { Logger } from '../logging/logger.js';
import { installJsonParser } from './body.js';
import { frameworkError, installErrorHandler } from './error-handler.js';
import { bearerToken, type RouteDeps } from './route-deps.js';
import { compensationFailureRoutes } from './routes/compensation-failures.js';
import { eventRoutes } from './routes/events.js';
import { groundingRoutes } from './routes/groundings.js';
import { metricsRoutes } from './routes/metrics.js';
import { orchestrationRoutes } from './routes/orchestrations.js';
import { projectRoutes } from './routes/projects.js';
import { serviceRoutes } from './routes/services.js';
import { webhookRoutes } from './routes/webhooks.js';

/** The version we report in orra's `X-Orra-PlaneEngine-Version` header (orra's spelling). */
export const ENGINE_VERSION = '0.1.0';

export interface HttpServerOptions {
  /**
   * True while the engine resumes in-flight work after binding its port: every request then gets 503
   * `Orra:PlanEngineStarting` with `Retry-After: 1` (`/health` included, so a supervisor waits for it).
   */
  isStarting?: () => boolean;
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
  installJsonParser(app);
  installErrorHandler(app);
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (_request, reply) => {
    if (!options.isStarting?.()) return;
    void reply.header('retry-after', '1');
    throw new EngineError(ERROR_CODES.STARTING, 'the engine is starting: it is resuming in-flight work; retry in a moment');
  });
  app.addHook('onRequest', async (request) => {
    if ((request.routeOptions.config as { isPublic?: boolean } | undefined)?.isPublic) return;
    if (!request.routeOptions.url) return; // unmatched: the not-found handler answers
    const caller = await deps.projects.authenticate(bearerToken(request));
    (request as unknown as { caller: unknown }).caller = caller;
  });
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
  return app;
}
