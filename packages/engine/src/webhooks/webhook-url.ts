import { ERROR_CODES } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { SsrfPolicy } from './ssrf-policy.js';

const MAX_URL_LENGTH = 2048;

/**
 * Checks a webhook URL as given by a caller: an absolute http(s) URL with a host, no credentials, and a
 * host the address policy allows. Returns the URL as sent (trimmed): duplicates are matched on it.
 */
export async function validateWebhookUrl(value: unknown, param: string, policy: SsrfPolicy): Promise<string> {
  const fail = (why: string) => new EngineError(ERROR_CODES.VALIDATION_FAILED, `${param}: ${why}`, { param });
  if (value === undefined || value === null || value === '') throw fail('a webhook URL is required, e.g. {"url": "https://example.com/hooks/orra"}');
  if (typeof value !== 'string') throw fail('must be a string');
  const text = value.trim();
  if (text.length > MAX_URL_LENGTH) throw fail(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail(`"${text}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw fail(`only http and https URLs can receive webhooks, not ${url.protocol.slice(0, -1)}`);
  }
  if (!url.hostname) throw fail('the URL has no host');
  // undici would not send them, and they would show up in listings; put a token in the path or query.
  if (url.username || url.password) throw fail('credentials in the URL are not supported; put a token in the path or query instead');
  const refusal = await policy.refusalForName(url.hostname);
  if (refusal) throw fail(`${text} is refused: ${refusal}`);
  return text;
}
