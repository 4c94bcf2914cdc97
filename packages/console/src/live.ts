import { signal } from '@preact/signals';

/**
 * Live updates, in one place (docs/console.md, "Live updates"). The engine's event stream is an
 * invalidation channel: an event or a progress notice says "this item changed", and the screens that
 * show it refetch it (coalesced). No timer runs while the stream is held.
 *
 * - `stream`: `GET /events/stream?after=head&include=progress`, authenticated by the session cookie.
 * - `paused`: the tab is hidden; the stream is closed, and everything is refetched once when it shows.
 * - `polling`: the stream cannot be held (it failed twice in a row without opening, or was refused):
 *   open screens refetch every POLL_MS while the tab is visible, and the stream is tried again; the first
 *   time it opens, polling stops.
 */
export const liveMode = signal<'connecting' | 'stream' | 'paused' | 'polling'>('connecting');
export const POLL_MS = 1500;
/** A screen refetches at most this often, however many events name it. */
const MIN_GAP_MS = 200;
/** After the stream was refused (not a dropped connection: EventSource gives up), it is tried again this late. */
const REOPEN_MS = 10_000;
/** Failed connection attempts in a row, without an open between, before polling takes over. */
const FAILURES_BEFORE_POLLING = 2;
/** The log's event types (docs/events.md); EventSource delivers named events only to listeners of that name. */
const LOGGED_TYPES = [
  'orchestration.completed',
  'orchestration.failed',
  'orchestration.aborted',
  'compensation.failed',
  'compensation.resolved',
  'compensation.ignored',
  'webhook.endpoint.disabled',
  'webhook.endpoint.enabled',
  // The endpoint circuit breaker (docs/webhooks.md#circuit-breaker): tripped, and recovered by a probe.
  // Pausing and resuming write no event; the page that does them refetches itself.
  'webhook.endpoint.failing',
  'webhook.endpoint.recovered',
  'webhook.delivery.exhausted',
  // On main since this list was written (issue 11); listening for a type the engine never sends is harmless.
  'task.late_result',
  'service.unhealthy',
  'service.healthy',
];

interface Subscription {
  topic: string;
  refetch: () => Promise<unknown>;
  isRunning: boolean;
  isDirty: boolean;
  lastAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}
const subscriptions = new Set<Subscription>();

/** One refetch at a time per subscription; a change during it makes one more after it (none is lost). */
function run(sub: Subscription): void {
  if (sub.isRunning) {
    sub.isDirty = true;
    return;
  }
  if (sub.timer) return;
  const wait = sub.lastAt + MIN_GAP_MS - Date.now();
  if (wait > 0) {
    sub.timer = setTimeout(() => {
      sub.timer = undefined;
      run(sub);
    }, wait);
    return;
  }
  sub.isRunning = true;
  sub.isDirty = false;
  sub.lastAt = Date.now();
  sub
    .refetch()
    .catch(() => undefined)
    .finally(() => {
      sub.isRunning = false;
      if (sub.isDirty && subscriptions.has(sub)) run(sub);
    });
}

/** Refetches `refetch` whenever `topic` (an item id, or `*` for any change) changes; returns the unsubscribe function. */
export function subscribe(topic: string, refetch: () => Promise<unknown>): () => void {
  const sub: Subscription = { topic, refetch, isRunning: false, isDirty: false, lastAt: Date.now(), timer: undefined };
  subscriptions.add(sub);
  return () => {
    subscriptions.delete(sub);
    clearTimeout(sub.timer);
  };
}

/** Marks items changed: subscribers of any of them, and of `*`, refetch. `*` alone refetches everything. */
export function invalidate(...ids: string[]): void {
  const isAll = ids.includes('*');
  for (const sub of subscriptions) if (isAll || sub.topic === '*' || ids.includes(sub.topic)) run(sub);
}

let source: EventSource | undefined;
let failures = 0;
let pollTimer: ReturnType<typeof setInterval> | undefined;
let reopenTimer: ReturnType<typeof setTimeout> | undefined;

function startPolling(): void {
  liveMode.value = 'polling';
  pollTimer ??= setInterval(() => invalidate('*'), POLL_MS);
}

function stopPolling(): void {
  clearInterval(pollTimer);
  pollTimer = undefined;
}

/** The items an event or notice names: its orchestration, and its subject (a compensation, an endpoint…). */
function idsOf(data: string): string[] {
  try {
    const e = JSON.parse(data) as { subject?: string; orchestration_id?: string; data?: { orchestration_id?: string }; tasks?: { compensation_id?: string }[] };
    const ids = [e.orchestration_id, e.data?.orchestration_id, e.subject, ...(e.tasks ?? []).map((t) => t.compensation_id)];
    return ids.filter((id): id is string => typeof id === 'string');
  } catch {
    return [];
  }
}

function open(): void {
  if (!isStarted || source || document.hidden) return;
  clearTimeout(reopenTimer);
  reopenTimer = undefined;
  if (liveMode.value !== 'polling') liveMode.value = 'connecting';
  const es = new EventSource('/events/stream?after=head&include=progress');
  source = es;
  es.onopen = () => {
    failures = 0;
    stopPolling();
    liveMode.value = 'stream';
    // What changed before the stream held (between a screen's first read and now, or while it was down
    // or the tab hidden) is read once, now (not held back by the gap): from here on, the stream tells.
    for (const sub of subscriptions) sub.lastAt = 0;
    invalidate('*');
  };
  const onEvent = (e: MessageEvent<string>) => invalidate(...idsOf(e.data));
  es.addEventListener('progress', onEvent);
  for (const type of LOGGED_TYPES) es.addEventListener(type, onEvent);
  es.onerror = () => {
    failures += 1;
    if (failures >= FAILURES_BEFORE_POLLING || es.readyState === EventSource.CLOSED) startPolling();
    // Refused (an HTTP error, the session ended): EventSource has given up; try again later.
    if (es.readyState === EventSource.CLOSED) {
      close();
      reopenTimer = setTimeout(open, REOPEN_MS);
    }
  };
}

function close(): void {
  source?.close();
  source = undefined;
}

let isStarted = false;

function halt(): void {
  close();
  stopPolling();
  clearTimeout(reopenTimer);
  reopenTimer = undefined;
}

/** Starts live updates once signed in: the stream while the tab is visible. */
export function startLive(): void {
  isStarted = true;
  open();
}

/** Stops them (signed out, or on the sign-in page). */
export function stopLive(): void {
  isStarted = false;
  halt();
  liveMode.value = 'connecting';
}

// Paused while the tab is hidden: no stream, no timer. Shown again: reopen and catch up at once.
document.addEventListener('visibilitychange', () => {
  if (!isStarted) return;
  if (document.hidden) {
    halt();
    liveMode.value = 'paused';
  } else {
    invalidate('*');
    open();
  }
});
