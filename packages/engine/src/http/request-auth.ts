import { ERROR_CODES } from '@orra/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EngineError } from '../errors/engine-error.js';
import type { AuditClient } from '../storage/store.js';
import { bearerToken, type RouteDeps } from './route-deps.js';
import { SESSION_COOKIE, sessionToken } from './session-cookie.js';

/** Route options (`config`) the auth hook reads. */
export interface AuthRouteConfig {
  /** No key needed (health, project registration, console sign-in, the console's files). */
  isPublic?: boolean;
  /** A non-GET route that a `read` key may call all the same: it changes nothing of the project's. */
  isAllowedForReadKeys?: boolean;
}

const LOOKS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a request method can change something (everything but GET, HEAD and OPTIONS). */
export const isChange = (method: string) => !LOOKS.has(method);

/**
 * Authenticates every non-public route: a bearer key, else the console's session cookie. Then enforces
 * the key's role (a `read` key changes nothing: 403 `Orra:ReadOnlyKey` on any other method than GET/HEAD),
 * and, for the cookie, what keeps other sites out: a change must be JSON, carry `X-Orra-Client: console`
 * (a header no cross-site form can send, and no cross-site script without a CORS preflight we never
 * grant) and, when the browser says where it comes from, come from this origin.
 */
export function installAuth(app: FastifyInstance, deps: RouteDeps): void {
  app.decorateRequest('caller', null);
  app.decorateRequest('auditClient', null);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config as AuthRouteConfig | undefined;
    if (config?.isPublic) return;
    if (!request.routeOptions.url) return; // unmatched: the not-found handler answers
    // The console's hashed files are code and styles, no data: the sign-in page needs them before a session.
    if (request.routeOptions.url.startsWith('/console/assets/')) return;
    const bearer = bearerToken(request);
    const token = request.headers.authorization === undefined ? sessionToken(request) : undefined;
    let client: AuditClient;
    let caller;
    if (token !== undefined) {
      caller = await deps.consoleSessions.authenticate(token);
      if (!caller) {
        throw new EngineError(ERROR_CODES.UNAUTHENTICATED, `the console session has ended or is unknown: sign in again (cookie ${SESSION_COOKIE})`);
      }
      if (isChange(request.method)) checkConsoleChange(request);
      client = 'console';
    } else {
      caller = await deps.projects.authenticate(bearer);
      client = clientOf(request);
    }
    if (caller.role === 'read' && isChange(request.method) && !config?.isAllowedForReadKeys) {
      throw new EngineError(
        ERROR_CODES.READ_ONLY_KEY,
        `this API key is read-only (role "read"): ${request.method} ${request.routeOptions.url} changes something and needs an "operate" key`,
      );
    }
    Object.assign(request, { caller, auditClient: client });
  });
}

function checkConsoleChange(request: FastifyRequest): void {
  const contentType = request.headers['content-type'] ?? '';
  const isJson = /^application\/json\b/i.test(contentType) || (request.headers['content-length'] ?? '0') === '0';
  if (!isJson || request.headers['x-orra-client'] !== 'console') {
    throw new EngineError(
      ERROR_CODES.CONSOLE_REQUEST_REFUSED,
      'a change sent with a console session must be JSON (or empty) and carry the header "X-Orra-Client: console"',
    );
  }
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `${request.protocol}://${request.headers.host ?? ''}`) {
    throw new EngineError(ERROR_CODES.CONSOLE_REQUEST_REFUSED, `a change sent with a console session must come from the engine's own origin, not ${origin}`);
  }
}

/** Where a key-authenticated request says it comes from; anything but the CLI counts as the API. */
function clientOf(request: FastifyRequest): AuditClient {
  return request.headers['x-orra-client'] === 'cli' ? 'cli' : 'api';
}
