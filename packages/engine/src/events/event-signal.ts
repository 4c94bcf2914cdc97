/**
 * Wakes the readers of a project's event log when it grows: called after a commit in this process, and
 * (PostgreSQL) when another engine process's commit is heard by NOTIFY. Readers then read the table; the
 * signal carries no event, so a missed or duplicate wake costs one query, never an event.
 */
export class EventSignal {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Calls `fn` on every growth of the project's log until the returned function is called. */
  subscribe(projectId: string, fn: () => void): () => void {
    let set = this.waiters.get(projectId);
    if (!set) this.waiters.set(projectId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.waiters.get(projectId) === set) this.waiters.delete(projectId);
    };
  }

  notify(projectId: string): void {
    for (const fn of [...(this.waiters.get(projectId) ?? [])]) fn();
  }

  /** Readers waiting now, across projects (a gauge: each is an open request or stream). */
  get size(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}
