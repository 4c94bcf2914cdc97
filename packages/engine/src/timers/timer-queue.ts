/**
 * In-memory timers keyed by name, one per key. The due times themselves are durable (they live in the
 * task rows: `nextAttemptAt`, `pausedSince`), so after a restart the runner re-arms them from storage;
 * this class only holds the process-local `setTimeout` handles, and never keeps a process alive.
 */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class TimerQueue {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Arms (or re-arms) the timer `key` to call `fn` at `dueAt` (epoch ms). */
  set(key: string, dueAt: number, fn: () => void): void {
    this.clear(key);
    const delay = Math.max(0, dueAt - this.now());
    // Node caps timeouts at ~24.8 days; longer waits re-arm at the cap.
    const handle = setTimeout(() => {
      this.timers.delete(key);
      // Node times out against the event loop's cached clock, which lags `now()` by however long the
      // current turn has run, so a timer can fire a few ms before `dueAt`. Handlers check `now()` against
      // the due time and would then do nothing, for good: re-arm until it is really due. (This also
      // covers waits beyond Node's ~24.8-day cap.)
      if (this.now() < dueAt) this.set(key, dueAt, fn);
      else fn();
    }, Math.min(delay, MAX_DELAY_MS));
    handle.unref();
    this.timers.set(key, handle);
  }

  clear(key: string): void {
    const handle = this.timers.get(key);
    if (handle) {
      clearTimeout(handle);
      this.timers.delete(key);
    }
  }

  clearAll(): void {
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
  }

  get size(): number {
    return this.timers.size;
  }
}
