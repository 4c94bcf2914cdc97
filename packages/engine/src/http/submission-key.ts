import { createHash } from 'node:crypto';
import { ERROR_CODES, IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_MAX_LENGTH } from '@orra/protocol';
import type { FastifyRequest } from 'fastify';
import { EngineError } from '../errors/engine-error.js';
import type { Submission } from '../orchestration/submission-keys.js';

/**
 * The `Idempotency-Key` of a request with the hash of its body, or undefined without the header. A key
 * that is empty or longer than 255 characters is a 400: a client that means to be safe must not be
 * silently unsafe. (Node joins a repeated header into one value; the array case is only typed.)
 */
export function submissionOf(request: FastifyRequest): Submission | undefined {
  const value = request.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (value === undefined) return undefined;
  const bad = (message: string) =>
    new EngineError(ERROR_CODES.VALIDATION_FAILED, `${IDEMPOTENCY_KEY_HEADER}: ${message}`, {
      param: IDEMPOTENCY_KEY_HEADER,
    });
  if (Array.isArray(value)) throw bad('send the header once');
  if (value.trim() === '') throw bad('must not be empty; send a new random value (a UUID) per request');
  if (value.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw bad(`must be at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters (got ${value.length})`);
  }
  return { key: value, requestHash: bodyHash(request.body) };
}

/**
 * SHA-256 of the body in canonical JSON (object keys sorted, no whitespace): a retry that serialises the
 * same request with its keys in another order or other spacing is the same request.
 */
export function bodyHash(body: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(body ?? null))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
