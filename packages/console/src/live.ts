import { signal } from '@preact/signals';

/**
 * Live updates, in one place. A screen subscribes with what to refetch; today every subscription is
 * refetched once a second while the tab is visible, because the engine's event stream is not there yet.
 * When it is, `invalidate(topic)` is called from the stream (an event says "this item changed") and the
 * timer becomes the fallback for when the stream cannot be held; no screen changes.
 */
export const liveMode = signal<'stream' | 'polling'>('polling');
const POLL_MS = 1000;

interface Subscription {
  topic: string;
  refetch: () => Promise<unknown>;
  isRunning: boolean;
}
const subscriptions = new Set<Subscription>();

function run(sub: Subscription): void {
  if (sub.isRunning) return; // coalesced: one refetch at a time per subscription
  sub.isRunning = true;
  sub
    .refetch()
    .catch(() => undefined)
    .finally(() => (sub.isRunning = false));
}

/** Refetches `refetch` whenever `topic` changes; returns the unsubscribe function. */
export function subscribe(topic: string, refetch: () => Promise<unknown>): () => void {
  const sub: Subscription = { topic, refetch, isRunning: false };
  subscriptions.add(sub);
  return () => subscriptions.delete(sub);
}

/** Marks a topic changed (the event stream's entry point): its subscribers refetch. */
export function invalidate(topic: string): void {
  for (const sub of subscriptions) if (sub.topic === topic || topic === '*') run(sub);
}

// Paused while the tab is hidden; catches up at once when it is shown again.
setInterval(() => {
  if (!document.hidden) invalidate('*');
}, POLL_MS);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) invalidate('*');
});
