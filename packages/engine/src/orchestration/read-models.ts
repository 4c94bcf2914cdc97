import {
  formatGoDuration,
  rfc3339,
  type CompensationHistoryOut,
  type InterimResultOut,
  type LateAnswerOut,
  type OrchestrationInspectOut,
  type OrchestrationListItemOut,
  type OrchestrationListOut,
  type OrchestrationOut,
  type TaskInspectOut,
  type TaskStatus,
  type TaskStatusEventOut,
  type UseCaseOut,
} from '@orra/protocol';
import type {
  CompensationRecord,
  CompensationSummary,
  JournalEntry,
  OrchestrationRecord,
  ServiceRecord,
  TaskRecord,
} from '../storage/store.js';
import type { LateAnswerValue } from '../answers/late-answer-entry.js';
import { lookupField, isMissing, parseReference } from './references.js';

const NS_PER_MS = 1_000_000;

/** Statuses an orchestration does not leave: its `updatedAt` is when it ended. */
const ENDED = new Set<OrchestrationRecord['status']>(['completed', 'failed', 'aborted', 'not_actionable', 'cancelled']);

/** The stored record in orra's shape (`POST /orchestrations` and `GET /orchestrations/{id}`). */
export function toOrchestrationOut(o: OrchestrationRecord): OrchestrationOut {
  return {
    id: o.id,
    projectID: o.projectId,
    action: { type: '', content: o.action },
    data: o.data,
    ...(o.plan ? { plan: o.plan } : {}),
    taskZero: o.taskZero,
    results: o.results,
    status: o.status,
    ...(o.error != null ? { error: o.error } : {}),
    ...(o.abortReason != null ? { abortReason: o.abortReason } : {}),
    timestamp: rfc3339(o.updatedAt),
    createdAt: rfc3339(o.createdAt),
    ...(o.timeoutText != null ? { timeout: formatGoDuration(o.timeoutMs) } : {}),
    ...(o.healthCheckGracePeriodText != null ? { healthCheckGracePeriod: formatGoDuration(o.healthCheckGracePeriodMs) } : {}),
    planner: o.planner,
  };
}

const GROUPS: Record<string, keyof OrchestrationListOut> = {
  pending: 'pending',
  processing: 'processing',
  completed: 'completed',
  failed: 'failed',
  not_actionable: 'notActionable',
  aborted: 'aborted',
};

/** `GET /orchestrations`: grouped by status, newest status change first, empty groups omitted. */
export function toListView(
  records: OrchestrationRecord[],
  compensations: ReadonlyMap<string, CompensationSummary> = new Map(),
): OrchestrationListOut {
  const out: OrchestrationListOut = {};
  const sorted = [...records].sort((a, b) => b.updatedAt - a.updatedAt);
  for (const o of sorted) {
    const group = GROUPS[o.status];
    if (!group) continue;
    const item: OrchestrationListItemOut = {
      id: o.id,
      action: o.action,
      status: o.status,
      ...(o.error != null ? { error: o.error } : {}),
      timestamp: rfc3339(o.updatedAt),
      createdAt: rfc3339(o.createdAt),
    };
    const summary = compensations.get(o.id);
    if (summary && summary.total > 0) {
      item.compensation = { active: summary.active > 0, total: summary.total, completed: summary.completed, failed: summary.failed };
    }
    (out[group] ??= []).push(item);
  }
  return out;
}

/** What the inspect view needs besides the stored rows. */
export interface InspectContext {
  now: number;
  /** The engine's `taskMaxAttempts`, shown with each task's attempt number. */
  taskMaxAttempts: number;
}

/**
 * `GET /orchestrations/inspections/{id}`: the record, its tasks and their histories from the journal.
 * `duration` runs from creation to now while the orchestration is in flight, and to its end once it has
 * ended (orra's keeps growing with the clock).
 */
export function toInspectView(
  o: OrchestrationRecord,
  tasks: TaskRecord[],
  journal: JournalEntry[],
  services: ReadonlyMap<string, ServiceRecord>,
  context: InspectContext,
  compensations: CompensationRecord[] = [],
): OrchestrationInspectOut {
  const byTask = new Map<string, JournalEntry[]>();
  for (const e of journal) if (e.taskId) (byTask.get(e.taskId) ?? byTask.set(e.taskId, []).get(e.taskId)!).push(e);
  const view: OrchestrationInspectOut = {
    id: o.id,
    status: o.status,
    action: o.action,
    timestamp: rfc3339(o.updatedAt),
    ...(o.error != null ? { error: o.error } : {}),
    createdAt: rfc3339(o.createdAt),
    duration: Math.max(0, (ENDED.has(o.status) ? o.updatedAt : context.now) - o.createdAt) * NS_PER_MS,
  };
  const useCase = journal.find((e) => e.type === 'use_case_match');
  if (useCase) view.useCase = useCase.value as UseCaseOut;
  if (!o.plan) return view;
  const compensationByTask = new Map(compensations.map((c) => [c.taskId, c]));
  view.tasks = tasks.map((t) =>
    inspectTask(t, byTask.get(t.taskId) ?? [], o, services.get(t.serviceId), compensationByTask.get(t.taskId), context),
  );
  // The task that aborted (its journal has the abort payload); none when an operator aborted, and then
  // abortInfo has only the payload (empty task and service strings would show as empty rows).
  const aborter = tasks.find((t) => (byTask.get(t.taskId) ?? []).some((e) => e.type === 'task_aborted_output'));
  if (o.status === 'aborted' && o.abortReason != null) {
    view.abortInfo = aborter
      ? { taskId: aborter.taskId, serviceId: aborter.serviceId, serviceName: aborter.serviceName, payload: o.abortReason }
      : { payload: o.abortReason };
  }
  view.results = o.results;
  view.plan = o.plan;
  return view;
}

function inspectTask(
  t: TaskRecord,
  entries: JournalEntry[],
  o: OrchestrationRecord,
  service: ServiceRecord | undefined,
  compensation: CompensationRecord | undefined,
  context: InspectContext,
): TaskInspectOut {
  const statusHistory: TaskStatusEventOut[] = [];
  const compensationHistory: CompensationHistoryOut[] = [];
  const interimResults: InterimResultOut[] = [];
  const lateAnswers: LateAnswerOut[] = [];
  let abortPayload: unknown;
  for (const e of entries) {
    if (e.type === 'task_status') {
      const v = e.value as TaskStatusEventOut & { timestamp: number };
      statusHistory.push({ ...v, timestamp: rfc3339(v.timestamp) });
    } else if (e.type === 'task_interim_output') {
      interimResults.push({ id: e.entryId, timestamp: rfc3339(e.at), data: e.value });
    } else if (e.type === 'late_answer') {
      const { type: _type, ...v } = e.value as LateAnswerValue;
      lateAnswers.push({ ...v, timestamp: rfc3339(e.at) });
    } else if (e.type === 'task_aborted_output') {
      abortPayload = e.value;
    } else if (e.type.startsWith('compensation_') && e.type !== 'compensation_stored') {
      const v = e.value as { status: string; attempt: number; maxAttempts: number; error?: string; isManualRetry?: boolean };
      compensationHistory.push({
        id: e.entryId,
        taskId: t.taskId,
        status: v.status,
        attempt: v.attempt,
        maxAttempts: v.maxAttempts,
        timestamp: rfc3339(e.at),
        ...(v.error ? { error: v.error } : {}),
        ...(v.isManualRetry ? { isManualRetry: true } : {}),
      });
    }
  }
  const statusEntries = entries.filter((e) => e.type === 'task_status');
  const first = statusEntries[0]?.at;
  const last = statusEntries.at(-1)?.at;
  const lastStatus = statusHistory.at(-1);
  // Between attempts the last event is the failed attempt; the task itself is not failed but retrying.
  const isRetrying = t.state === 'retry_wait';
  return {
    id: t.taskId,
    serviceId: t.serviceId,
    serviceName: t.serviceName,
    status: isRetrying ? 'retrying' : (lastStatus?.status ?? displayStatus(t)),
    ...(t.attempts > 0
      ? { attempt: Math.min(t.consecutiveErrors + 1, context.taskMaxAttempts), maxAttempts: context.taskMaxAttempts }
      : {}),
    ...(isRetrying && t.nextAttemptAt !== null ? { nextAttemptAt: rfc3339(t.nextAttemptAt) } : {}),
    statusHistory,
    input: t.resolvedInput ?? displayInput(t.input, o.taskZero),
    ...(t.state === 'completed' ? { output: t.output } : {}),
    ...(abortPayload !== undefined ? { abortPayload } : {}),
    ...(lastStatus?.error ? { error: lastStatus.error } : {}),
    duration: first !== undefined && last !== undefined ? (last - first) * NS_PER_MS : 0,
    ...(interimResults.length > 0 ? { interimResults } : {}),
    ...(compensation
      ? {
          compensation: {
            status: compensation.status === 'waiting' ? 'pending' : compensation.status,
            attempt: compensation.attempts,
            max_attempts: compensation.maxAttempts,
            timestamp: rfc3339(compensation.updatedAt),
            // Set while a failed attempt waits out its backoff (not while the service is away).
            ...(compensation.status === 'waiting' && (compensation.nextAttemptAt ?? 0) > context.now
              ? { nextAttemptAt: rfc3339(compensation.nextAttemptAt ?? 0) }
              : {}),
          },
        }
      : {}),
    ...(compensationHistory.length > 0 ? { compensationHistory } : {}),
    ...(lateAnswers.length > 0 ? { lateAnswers } : {}),
    isRevertible: service?.revertible ?? false,
  };
}

function displayStatus(t: TaskRecord): TaskStatus {
  return t.state === 'waiting' ? 'pending' : t.state === 'retry_wait' ? 'retrying' : t.state;
}

/** Before a task runs, show its input with task0 constants filled in and other references as written. */
function displayInput(input: Record<string, unknown>, taskZero: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const ref = parseReference(v);
    const value = ref?.taskId === 'task0' ? lookupField(taskZero, ref.field) : v;
    out[k] = isMissing(value) ? v : value;
  }
  return out;
}
