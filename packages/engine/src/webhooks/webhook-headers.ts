import { cursorOf, type WebhookEventType } from '@orra/protocol';
import { signatureHeader } from './webhook-signer.js';

/** What the headers of one attempt depend on. */
export interface SignedMessage {
  eventId: string;
  eventType: WebhookEventType;
  body: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  /** The event's place in its project's log; absent for `webhook.test`, which is not in the log. */
  sequence?: number | null;
}

/**
 * The request headers of one attempt: orra's three, the Standard Webhooks trio, and `X-Orra-Sequence`. The timestamp is
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
    // The event's cursor in GET /events: a receiver that sees a jump can fetch what it missed.
    ...(m.sequence !== null && m.sequence !== undefined ? { 'x-orra-sequence': cursorOf(m.sequence) } : {}),
  };
}
