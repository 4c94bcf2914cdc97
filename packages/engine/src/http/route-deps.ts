import type { FastifyRequest } from 'fastify';
import type { EventFeed } from '../events/event-feed.js';
import type { FailedCompensationService } from '../compensation/failed-compensation-service.js';
import type { Config } from '../config/config.js';
import type { ConsoleSessions } from '../console/console-sessions.js';
import type { SignInLimiter } from '../console/sign-in-limiter.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import type { OrchestrationService } from '../orchestration/orchestration-service.js';
import type { GroundingService } from '../planning/grounding-service.js';
import { parseBearerToken } from '../projects/bearer-token.js';
import type { Caller, ProjectService } from '../projects/project-service.js';
import type { PresenceView } from '../services/service-presence.js';
import type { ServiceRegistry } from '../services/service-registry.js';
import type { Store } from '../storage/store.js';
import type { Webhooks } from '../webhooks/webhooks.js';

/** What the routes need; assembled by the composition root. */
export interface RouteDeps {
  config: Config;
  store: Store;
  projects: ProjectService;
  services: ServiceRegistry;
  orchestrations: OrchestrationService;
  failedCompensations: FailedCompensationService;
  groundings: GroundingService;
  /** Aborts an in-flight orchestration wherever it runs (its owner may be another engine process). */
  aborts: { abortOrchestration(orchestrationId: string, payload: unknown): Promise<boolean> };
  /** Whether a service is connected, across engine processes, and since when. */
  presence: { presence(serviceId: string): PresenceView };
  webhooks: Webhooks;
  /** The event log's read side (feed and stream). */
  events: EventFeed;
  metrics: EngineMetrics;
  consoleSessions: ConsoleSessions;
  /** Whether a service has a live connection to any engine process (for `GET /services`). */
  signInLimiter: SignInLimiter;
  now: () => number;
}

/** The caller of an authenticated request (set by the auth hook). */
export function callerOf(request: FastifyRequest): Caller {
  return (request as FastifyRequest & { caller: Caller }).caller;
}

/** The bearer token of a request (scheme in any case), or undefined when the header is missing or malformed. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return parseBearerToken(request.headers.authorization);
}
