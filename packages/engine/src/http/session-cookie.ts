import type { FastifyReply, FastifyRequest } from 'fastify';

/** The console session cookie's name. */
export const SESSION_COOKIE = 'orra_session';

/** The session token from the request's cookies, or undefined. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=') || undefined;
  }
  return undefined;
}

/**
 * Sets (or, with `maxAgeSeconds` 0, clears) the session cookie: HttpOnly (no script reads it),
 * SameSite=Strict (no other site's page sends it), `Secure` when the request came over HTTPS.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  const parts = [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (request.protocol === 'https') parts.push('Secure');
  void reply.header('set-cookie', parts.join('; '));
}
