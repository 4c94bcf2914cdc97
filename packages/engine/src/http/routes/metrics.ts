import { timingSafeEqual } from 'node:crypto';
import { ERROR_CODES } from '@orra/protocol';
import type { FastifyInstance } from 'fastify';
import { EngineError } from '../../errors/engine-error.js';
import { bearerToken, type RouteDeps } from '../route-deps.js';

/**
 * `GET /metrics` in Prometheus text format. Not tied to a project (it shows engine-wide counts), so it
 * skips API-key auth; `ORRA_METRICS_TOKEN`, when set, is required as a Bearer token instead.
 */
export function metricsRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get('/metrics', { config: { isPublic: true } }, async (request, reply) => {
    const expected = deps.config.metricsToken;
    if (expected !== undefined && !isSameSecret(bearerToken(request), expected)) {
      throw new EngineError(ERROR_CODES.UNAUTHENTICATED, 'metrics need "Authorization: Bearer <ORRA_METRICS_TOKEN>"');
    }
    const { contentType, text } = await deps.metrics.render();
    return reply.header('content-type', contentType).send(text);
  });
}

function isSameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
