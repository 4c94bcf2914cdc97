import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { ERROR_CODES } from '@orra/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleSessions } from '../../console/console-sessions.js';
import { EngineError } from '../../errors/engine-error.js';
import type { Caller } from '../../projects/project-service.js';
import { field } from '../body.js';
import { callerOf, type RouteDeps } from '../route-deps.js';
import { sessionToken, setSessionCookie } from '../session-cookie.js';

/**
 * No inline script or style, nothing from elsewhere: the console's own hashed files only. `frame-ancestors`
 * keeps it out of other sites' frames (clickjacking an "Ignore" button).
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'none'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Where the prebuilt console lives (packages/console/dist), or undefined when it has not been built. */
export function consoleDistDir(): string | undefined {
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('@orra/console/package.json')), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

function whoAmI(caller: Caller) {
  return { projectId: caller.projectId, keyId: caller.keyId, keyLabel: caller.keyLabel, role: caller.role };
}

/** Console sign-in, one-time links and the console's files. */
export function consoleRoutes(app: FastifyInstance, deps: RouteDeps, distDir: string | undefined = consoleDistDir()): void {
  const sessions: ConsoleSessions = deps.consoleSessions;
  const maxAgeSeconds = Math.floor(deps.config.consoleSessionMaxMs / 1000);

  app.post('/console/session', { config: { isPublic: true } }, async (request, reply) => {
    const retryAfter = deps.signInLimiter.take(request.ip);
    if (retryAfter > 0) {
      void reply.header('retry-after', String(retryAfter));
      throw new EngineError(ERROR_CODES.TOO_MANY_REQUESTS, `too many sign-in attempts from this address; retry in ${retryAfter} s`);
    }
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'apiKey: send {"apiKey": "sk-orra-…"} or {"link": "…"}', { param: 'apiKey' });
    }
    const link = field(body as Record<string, unknown>, 'link');
    const { token, caller } =
      typeof link === 'string' && link !== ''
        ? await sessions.signInWithLink(link)
        : await sessions.signIn(field(body as Record<string, unknown>, 'apiKey'));
    setSessionCookie(request, reply, token, maxAgeSeconds);
    return reply.status(201).send(whoAmI(caller));
  });

  app.get('/console/session', async (request) => whoAmI(callerOf(request)));

  app.delete('/console/session', { config: { isAllowedForReadKeys: true } }, async (request, reply) => {
    const token = sessionToken(request);
    if (token) await sessions.signOut(token);
    setSessionCookie(request, reply, '', 0);
    return reply.status(204).send();
  });

  // Any key may make a link for itself: the session it opens has that key's role, nothing more.
  app.post('/console/links', { config: { isAllowedForReadKeys: true } }, async (request, reply) => {
    const { token, expiresAt } = await sessions.createLink(callerOf(request));
    const url = `${request.protocol}://${request.headers.host ?? `${deps.config.host}:${deps.config.port}`}/console/sign-in#link=${token}`;
    return reply.status(201).send({ url, expiresAt: new Date(expiresAt).toISOString() });
  });

  if (!distDir) {
    app.get('/console', { config: { isPublic: true } }, async () => {
      throw new EngineError(ERROR_CODES.NOT_FOUND, 'the console has not been built: run `npm run build`');
    });
    return;
  }

  const indexHtml = readFileSync(join(distDir, 'index.html'));
  void app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      void reply.header('content-security-policy', CONSOLE_CSP);
      void reply.header('x-content-type-options', 'nosniff');
      void reply.header('referrer-policy', 'no-referrer');
      return payload;
    });
    // Hashed names never change content, so they are cached for good; .br/.gz files are served as is.
    await scope.register(fastifyStatic, {
      root: join(distDir, 'assets'),
      prefix: '/console/assets/',
      preCompressed: true,
      immutable: true,
      maxAge: '365d',
      index: false,
      wildcard: true,
    });
    const page = (isPublicPage: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
      if (!isPublicPage) {
        const token = sessionToken(request);
        const caller = token ? await sessions.authenticate(token) : undefined;
        if (!caller) {
          const next = encodeURIComponent(request.url);
          return reply.redirect(`/console/sign-in?next=${next}`, 302);
        }
      }
      return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(indexHtml);
    };
    scope.get('/console/sign-in', { config: { isPublic: true } }, page(true));
    scope.get('/console', { config: { isPublic: true } }, page(false));
    scope.get('/console/*', { config: { isPublic: true } }, page(false));
  });
}
