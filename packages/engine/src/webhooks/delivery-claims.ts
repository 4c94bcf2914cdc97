import type { DueDelivery } from '../storage/store.js';

/**
 * The dispatcher's in-memory bookkeeping. A claimed delivery is one this process has read as due and
 * will send (queued), is sending, or has sent and not yet committed the outcome of: it must not be read
 * as due again until then. Everything here is bounded by the dispatcher's limits.
 */
export class DeliveryClaims {
  private readonly claimed = new Set<number>();
  private readonly claimedBy = new Map<string, Set<number>>();
  private readonly queues = new Map<string, DueDelivery[]>();
  private readonly sendingBy = new Map<string, number>();
  private readonly out = new Set<number>();

  /** Requests out now. */
  get sending(): number {
    return this.out.size;
  }

  get size(): number {
    return this.claimed.size;
  }

  has(seq: number): boolean {
    return this.claimed.has(seq);
  }

  seqs(): number[] {
    return [...this.claimed];
  }

  seqsOf(endpointId: string): number[] {
    return [...(this.claimedBy.get(endpointId) ?? [])];
  }

  sendingTo(endpointId: string): number {
    return this.sendingBy.get(endpointId) ?? 0;
  }

  /** Endpoints with `limit` requests out: left out of the due query until one returns. */
  saturated(limit: number): string[] {
    return [...this.sendingBy].filter(([, n]) => n >= limit).map(([id]) => id);
  }

  claim(d: DueDelivery): void {
    this.claimed.add(d.seq);
    let mine = this.claimedBy.get(d.endpointId);
    if (!mine) this.claimedBy.set(d.endpointId, (mine = new Set()));
    mine.add(d.seq);
  }

  /** Keeps a claimed, due delivery for when its endpoint has a free slot. */
  enqueue(d: DueDelivery): void {
    let queue = this.queues.get(d.endpointId);
    if (!queue) this.queues.set(d.endpointId, (queue = []));
    queue.push(d);
  }

  hasQueue(endpointId: string): boolean {
    return this.queues.has(endpointId);
  }

  /** Deliveries queued for the endpoint. */
  queued(endpointId: string): number {
    return this.queues.get(endpointId)?.length ?? 0;
  }

  queuedEndpoints(): string[] {
    return [...this.queues.keys()];
  }

  dequeue(endpointId: string): DueDelivery | undefined {
    const queue = this.queues.get(endpointId);
    const d = queue?.shift();
    if (queue?.length === 0) this.queues.delete(endpointId);
    return d;
  }

  startSending(d: DueDelivery): void {
    this.out.add(d.seq);
    this.sendingBy.set(d.endpointId, this.sendingTo(d.endpointId) + 1);
  }

  /** The response came (or the attempt ended): the endpoint's slot is free, the claim stays. */
  doneSending(d: DueDelivery): void {
    if (!this.out.delete(d.seq)) return;
    const n = this.sendingTo(d.endpointId) - 1;
    if (n <= 0) this.sendingBy.delete(d.endpointId);
    else this.sendingBy.set(d.endpointId, n);
  }

  unclaim(d: DueDelivery): void {
    this.claimed.delete(d.seq);
    const mine = this.claimedBy.get(d.endpointId);
    mine?.delete(d.seq);
    if (mine?.size === 0) this.claimedBy.delete(d.endpointId);
  }

  /** Drops the endpoint's queued deliveries (it was disabled or deleted); they are not sent. */
  dropQueue(endpointId: string): void {
    for (const d of this.queues.get(endpointId) ?? []) this.unclaim(d);
    this.queues.delete(endpointId);
  }

  /** Forgets every queued delivery (on stop). */
  dropQueues(): void {
    for (const id of [...this.queues.keys()]) this.dropQueue(id);
  }
}
