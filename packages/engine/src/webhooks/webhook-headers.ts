import type { WebhookEventType } from '@orra/protocol';
import { signatureHeader } from './webhook-signer.js';

/** What the headers of one attempt depend on. */
export interface SignedMessage {
  eventId: string;
  eventType: WebhookEventType;
  body: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
}

/**
 * The request headers of one attempt: orra's three plus the Standard Webhooks trio. The timestamp is
 * the attempt's own (receivers reject old timestamps to stop replays), so the signature differs per
 * attempt while `webhook-id` and the body stay the same.
 */
export function webhookHeaders(m: SignedMessage, now: number): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  const secrets = m.previousSecret && (m.previousSecretExpiresAt ?? 0) > now ? [m.secret, m.previousSecret] : [m.secret];
  return {
    'content-type': 'application/json',
    'user-agent': 'orra/1.0',
    'x-orra-event': m.eventType,
    'webhook-id': m.eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, m.eventId, timestamp, m.body),
  };
}
