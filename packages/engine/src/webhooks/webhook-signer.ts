import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks asks for 24 to 64). */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Decoded keys of recently used secrets (bounded; decoding on every request showed in profiles). */
const keys = new Map<string, Buffer>();
const MAX_CACHED_KEYS = 1_000;

/** How many decoded keys are cached (for the test that holds the cache to its bound). */
export const cachedKeyCount = (): number => keys.size;

/** The HMAC key of a secret: the base64-decoded bytes after the prefix, as Standard Webhooks libraries use. */
function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
    if (keys.size >= MAX_CACHED_KEYS) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` per secret,
 * space-separated. During a rotation both the new and the old secret sign, so a receiver that still has
 * the old one keeps verifying.
 */
export function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  const content = `${id}.${timestampSeconds}.${body}`;
  return secrets.map((s) => `v1,${createHmac('sha256', keyOf(s)).update(content).digest('base64')}`).join(' ');
}
