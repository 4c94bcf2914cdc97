import type { OrchestrationInspectOut } from '@orra/protocol';

/** Orchestration statuses that are an outcome (`cancelled` is orra's, set at its shutdown). */
const ENDED = new Set(['completed', 'failed', 'aborted', 'not_actionable', 'cancelled']);

/** Compensation statuses with an outcome still to come. */
const UNDOING = new Set(['pending', 'waiting', 'processing']);

/** True once the orchestration has its outcome. */
export function isEnded(status: string): boolean {
  return ENDED.has(status);
}

/** True once the orchestration has ended and no compensation of it is pending or running. */
export function isSettled(view: OrchestrationInspectOut): boolean {
  return (
    isEnded(view.status) &&
    (view.tasks ?? []).every((t) => !t.compensation || !UNDOING.has(t.compensation.status))
  );
}
