import { createHash } from 'node:crypto';

/** API keys are stored as SHA-256 hashes; the key itself is shown once, at creation. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
