import type { SdkPayload } from '@orra/protocol';
import type { Logger } from '../logging/logger.js';

/**
 * Logs an answer the engine refused (unknown idempotency key, or another service's work). It is still
 * ACKed: re-sending it would change nothing, and the log line is where an operator finds it.
 */
export function logRefusedAnswer(log: Logger, socketServiceId: string, payload: SdkPayload, reason: string): void {
  log.warn(
    {
      serviceId: socketServiceId,
      type: payload.type,
      idempotencyKey: 'idempotencyKey' in payload ? payload.idempotencyKey : undefined,
      executionId: 'executionId' in payload ? payload.executionId : undefined,
      reason,
    },
    'service answer refused',
  );
}
