/**
 * What changed in an orchestration, as a hint: its status now and the tasks (or compensations) whose
 * state a step just committed. Not logged, not delivered by webhooks, never replayed: it tells an open
 * stream "read this orchestration again" (`docs/events.md`, progress notices).
 */
export interface ProgressNotice {
  orchestrationId: string;
  /** The orchestration's status after the step (absent when a compensation changed: it does not change it). */
  status?: string;
  /** Tasks whose state the step changed, with that state (`compensation` for a compensation's). */
  tasks: { taskId: string; state: string; kind: 'task' | 'compensation'; compensationId?: string }[];
}

/**
 * Per-project, in-memory fan-out of progress notices to the event streams that asked for them. It holds
 * no queue: a notice goes to whoever listens now, and is gone.
 */
export class ProgressSignal {
  private readonly listeners = new Map<string, Set<(notice: ProgressNotice) => void>>();

  subscribe(projectId: string, fn: (notice: ProgressNotice) => void): () => void {
    let set = this.listeners.get(projectId);
    if (!set) this.listeners.set(projectId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.listeners.get(projectId) === set) this.listeners.delete(projectId);
    };
  }

  publish(projectId: string, notice: ProgressNotice): void {
    for (const fn of [...(this.listeners.get(projectId) ?? [])]) fn(notice);
  }
}
