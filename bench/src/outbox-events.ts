import { newOrchestrationId, orchestrationEventPayload } from '@orra/protocol';
import type { Engine } from '@orra/engine';

export type OutboxEvent = Parameters<Engine['webhooks']['outbox']['enqueue']>[1];

/**
 * The events the webhook and event-log benchmarks commit through the engine's outbox: `orchestration.completed`
 * of a new (time-ordered, as the engine makes them) orchestration id each time, with a small result, for one project.
 */
export function outboxEvents(projectId: string): () => OutboxEvent {
  let n = 0;
  return () => {
    n += 1;
    const payload = orchestrationEventPayload({
      projectId,
      orchestrationId: newOrchestrationId(),
      status: 'completed',
      finalizedAt: Date.now(),
      results: [{ orderId: `ORD${n}`, status: 'shipped', amount: 42.5, eta: '2 days' }],
    });
    return {
      projectId,
      kind: 'orchestration',
      type: payload.type,
      eventId: payload.event_id,
      payload,
      subject: payload.orchestration_id,
      orchestrationId: payload.orchestration_id,
    };
  };
}
