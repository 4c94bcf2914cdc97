import type { SdkPayload, WrappedMessage } from '@orra/protocol';
import type { Logger } from '../logger.js';

/** Outbox limits. */
export interface OutboxOptions {
  /** How long a sent message waits for its ACK before it is queued for re-sending (orra: 5 s). */
  ackTimeoutMs: number;
  /** Most messages the queue holds; beyond it the oldest is dropped with a warning. */
  maxQueued: number;
  logger: Logger;
}

/**
 * SDK → engine messages that are not yet acknowledged. A sent message is *pending* until the engine's
 * ACK arrives; without an ACK in time, or when the socket closes, it moves to the *queue*, which is
 * re-sent on the next (re)connect. The engine records each result by idempotency key, so a re-send
 * after a lost ACK is harmless.
 */
export class Outbox {
  private seq = 0;
  private readonly pending = new Map<string, { payload: SdkPayload; timer: NodeJS.Timeout }>();
  // Keyed by the last wrapper id the message was sent under, so a late ACK can still clear it.
  // Map order is insertion order: the first entry is the oldest.
  private readonly queue = new Map<string, SdkPayload>();

  constructor(private readonly options: OutboxOptions) {}

  /** Messages sent and awaiting their ACK. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Messages waiting for the next connection. */
  get queuedCount(): number {
    return this.queue.size;
  }

  /**
   * Wraps `payload` in a fresh envelope `{id:"message_<n>_<executionId>", payload}`. Every send gets
   * a new id, re-sends included (orra's JS SDK re-sends its queue bare, which its engine drops).
   */
  wrap(payload: SdkPayload): WrappedMessage {
    this.seq += 1;
    const executionId = 'executionId' in payload ? payload.executionId : undefined;
    return { id: `message_${this.seq}_${executionId ?? ''}`, payload };
  }

  /** Records `message` as sent; it is queued again unless ACKed within the timeout. */
  sent(message: WrappedMessage): void {
    const timer = setTimeout(() => this.timeout(message.id), this.options.ackTimeoutMs);
    // The socket keeps the process alive while connected; this timer alone must not.
    timer.unref();
    this.pending.set(message.id, { payload: message.payload, timer });
  }

  /** Queues `message` for the next connection (the socket is not open). */
  enqueue(message: WrappedMessage): void {
    this.queue.set(message.id, message.payload);
    if (this.queue.size > this.options.maxQueued) {
      const [oldestId, oldest] = this.queue.entries().next().value as [string, SdkPayload];
      this.queue.delete(oldestId);
      this.options.logger.warn('outbound queue full, dropped the oldest message', {
        maxQueued: this.options.maxQueued,
        type: oldest.type,
        idempotencyKey: 'idempotencyKey' in oldest ? oldest.idempotencyKey : undefined,
      });
    }
  }

  /** Handles the engine's ACK; a late ACK also clears the message from the queue. */
  ack(id: string): void {
    const entry = this.pending.get(id);
    if (entry) {
      clearTimeout(entry.timer);
      this.pending.delete(id);
      return;
    }
    this.queue.delete(id);
  }

  /** The socket closed: every unacknowledged message goes to the queue, oldest first. */
  requeuePending(): void {
    for (const [id, { payload, timer }] of this.pending) {
      clearTimeout(timer);
      this.enqueue({ id, payload });
    }
    this.pending.clear();
  }

  /** Takes every queued payload, oldest first, for re-sending under new envelopes. */
  drain(): SdkPayload[] {
    const payloads = [...this.queue.values()];
    this.queue.clear();
    return payloads;
  }

  /** Drops everything and clears the timers (shutdown). Returns how many messages were dropped. */
  clear(): number {
    const dropped = this.pending.size + this.queue.size;
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.queue.clear();
    return dropped;
  }

  private timeout(id: string): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    this.options.logger.debug('no ACK in time, queued for re-sending', {
      messageId: id,
      type: entry.payload.type,
    });
    this.enqueue({ id, payload: entry.payload });
  }
}
