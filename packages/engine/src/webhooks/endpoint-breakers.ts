import { activeBreaker } from '../storage/breaker-records.js';
import type { AttemptOutcome, BreakerRecord, DueDelivery, Repos } from '../storage/store.js';
import { applyAttempt, type BreakerPolicyOptions, type BreakerTransition } from './breaker-policy.js';
import type { OperatorEvents } from './operator-events.js';
import type { Enqueued } from './webhook-outbox.js';
import type { AttemptResult } from './webhook-sender.js';

/** One finished attempt, as the breaker needs it. */
export interface BreakerAttempt {
  delivery: DueDelivery;
  result: AttemptResult;
  outcome: AttemptOutcome;
  isProbe: boolean;
}

/** What a batch did to the breakers, for after the commit. */
export interface BreakerBatch {
  /** The outcomes to record (held ones no longer move their event's schedule). */
  outcomes: AttemptOutcome[];
  /** Each endpoint's breaker after the batch. */
  breakers: Map<string, BreakerRecord>;
  transitions: { endpointId: string; from: string; to: string; transition: BreakerTransition }[];
  enqueued: (Enqueued | undefined)[];
}

/**
 * The breakers' side of the dispatcher's transactions: reads each endpoint's breaker row (locked on
 * PostgreSQL), applies the batch's attempts in order (breaker-policy.ts), and writes the rows, the operator
 * events (`webhook.endpoint.failing` / `recovered` / `disabled`) and the drain in the same transaction. One
 * event per transition: a transition is a change of the row, and only one transaction can make it.
 */
export class EndpointBreakers {
  constructor(
    private readonly options: BreakerPolicyOptions,
    private readonly operatorEvents: OperatorEvents | undefined,
  ) {}

  async applyBatch(tx: Repos, batch: readonly BreakerAttempt[], now: number): Promise<BreakerBatch> {
    const byEndpoint = new Map<string, BreakerRecord>();
    const ids = [...new Set(batch.map((a) => a.delivery.endpointId))].sort(); // a fixed lock order
    for (const id of ids) {
      const d = batch.find((a) => a.delivery.endpointId === id)!.delivery;
      byEndpoint.set(id, (await tx.breakers.get(id)) ?? activeBreaker(id, d.projectId, now));
    }
    const before = new Map(byEndpoint);
    const out: BreakerBatch = { outcomes: [], breakers: byEndpoint, transitions: [], enqueued: [] };
    const reasons = new Map<string, BreakerTransition[]>();
    for (const a of batch) {
      const id = a.delivery.endpointId;
      const step = applyAttempt(
        byEndpoint.get(id)!,
        { eventId: a.delivery.eventId, isProbe: a.isProbe, result: a.result, now: a.outcome.now },
        this.options,
      );
      byEndpoint.set(id, step.next);
      out.outcomes.push(
        step.isHeld
          ? { ...a.outcome, status: 'pending', nextAttemptAt: step.heldUntil, isHeld: true }
          : a.outcome,
      );
      if (step.transition) reasons.set(id, [...(reasons.get(id) ?? []), step.transition]);
    }
    await tx.webhookDeliveries.recordOutcomes(out.outcomes);
    for (const id of ids) {
      const was = before.get(id)!;
      const next = byEndpoint.get(id)!;
      if (next === was) continue;
      const isTransition = next.state !== was.state || (reasons.get(id) ?? []).length > 0;
      await tx.breakers.put(next, isTransition);
      for (const transition of reasons.get(id) ?? []) {
        out.transitions.push({
          endpointId: id,
          from: was.state,
          to: transition === 'disabled' ? 'disabled' : next.state,
          transition,
        });
        out.enqueued.push(
          await this.onTransition(
            tx,
            next,
            transition,
            transition === 'tripped' ? (next.failingSince ?? now) : (was.failingSince ?? now),
            now,
          ),
        );
      }
    }
    return out;
  }

  /**
   * Claims the endpoint's probe if it is due (failing, or a probe that never reported): marks it `probing`
   * until the lease ends and returns the oldest held delivery to send. Only one process wins the claim.
   */
  async claimProbe(
    tx: Repos,
    endpointId: string,
    now: number,
    excludeSeqs: number[],
  ): Promise<DueDelivery | undefined> {
    const b = await tx.breakers.get(endpointId);
    if (!b || (b.state !== 'failing' && b.state !== 'probing') || (b.nextProbeAt ?? 0) > now)
      return undefined;
    const endpoint = await tx.webhookEndpoints.get(b.projectId, endpointId);
    if (!endpoint?.isEnabled) return undefined;
    const held = await tx.breakers.oldestPending(endpointId, excludeSeqs);
    if (!held) return undefined;
    const stateSince = b.state === 'probing' ? b.stateSince : now;
    await tx.breakers.put(
      { ...b, state: 'probing', stateSince, nextProbeAt: now + this.options.probeLeaseMs, updatedAt: now },
      false,
    );
    return held;
  }

  private async onTransition(
    tx: Repos,
    b: BreakerRecord,
    transition: BreakerTransition,
    failingSince: number,
    now: number,
  ): Promise<Enqueued | undefined> {
    const endpoint = await tx.webhookEndpoints.get(b.projectId, b.endpointId);
    if (!endpoint) return undefined;
    if (transition === 'recovered') {
      // Drain: every held delivery is due now; the due query keeps each orchestration's order, and the
      // slow-start window (1, 2, 4 …) keeps a recovering receiver from being flattened.
      await tx.breakers.makeDue(b.endpointId, now);
      return this.operatorEvents?.endpointBreaker(tx, endpoint, 'recovered', failingSince, now);
    }
    if (transition === 'tripped')
      return this.operatorEvents?.endpointBreaker(tx, endpoint, 'failing', failingSince, now);
    // Failing too long: disabled. Held deliveries stay pending, and are sent when it is enabled again.
    const disabled = {
      ...endpoint,
      isEnabled: false,
      disabledReason: `failing since ${new Date(failingSince).toISOString()}; held events are sent when it is enabled`,
      disabledAt: now,
      updatedAt: now,
    };
    await tx.webhookEndpoints.update(disabled);
    return this.operatorEvents?.endpointState(tx, disabled, 'failing', now);
  }
}
