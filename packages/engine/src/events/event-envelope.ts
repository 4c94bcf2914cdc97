import { cursorOf, type EventEnvelopeOut, type LoggedEventType } from '@orra/protocol';
import type { WebhookEventRecord } from '../storage/store.js';

/**
 * The CloudEvents 1.0 envelope of a logged event. `data` is the stored webhook body parsed back, so it
 * holds exactly the fields the webhook carries; `time` is the commit time with milliseconds (the body's
 * `timestamp` keeps orra's seconds).
 */
export function toEnvelope(e: WebhookEventRecord): EventEnvelopeOut {
  return {
    specversion: '1.0',
    id: e.id,
    source: `/projects/${e.projectId}`,
    type: e.type as LoggedEventType,
    subject: e.subject ?? '',
    time: new Date(e.createdAt).toISOString(),
    datacontenttype: 'application/json',
    sequence: cursorOf(e.sequence ?? 0),
    data: JSON.parse(e.body) as Record<string, unknown>,
  };
}
