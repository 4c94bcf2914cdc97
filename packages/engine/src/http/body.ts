import { ERROR_CODES } from '@orra/protocol';
import type { FastifyInstance } from 'fastify';
import { EngineError } from '../errors/engine-error.js';

/**
 * JSON bodies for every content type (orra's clients are not consistent about the header). An empty body
 * parses as `undefined` (orra's `POST /apikeys` takes none); invalid JSON is a 400 naming the problem.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = (_req: unknown, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new EngineError(ERROR_CODES.JSON_MARSHALING_FAIL, `request body is not valid JSON: ${(err as Error).message}`, { cause: err }));
    }
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parse);
}

/** Requires a JSON object body. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new EngineError(ERROR_CODES.JSON_MARSHALING_FAIL, 'request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** Reads a field case-insensitively, as orra's Go decoder does (its CLI sends `action.Content`). */
export function field(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
