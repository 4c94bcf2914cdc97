/** Orchestration status values (orra's, lower-case). */
export type OrchestrationStatus =
  | 'pending'
  | 'processing'
  | 'completed'
  | 'failed'
  | 'not_actionable'
  | 'aborted'
  | 'cancelled';

/**
 * Task status values shown in status history and inspect. `retrying` (ours) is a task's status in the
 * inspect view between a failed attempt and the next one; it never appears in the status history.
 */
export type TaskStatus =
  | 'registered'
  | 'pending'
  | 'processing'
  | 'paused'
  | 'retrying'
  | 'completed'
  | 'failed'
  | 'aborted';

/** One `{field, value}` item of the request `data`. */
export interface DataField {
  field: string;
  value: unknown;
}

/** One task of an execution plan. `task0` has no service and holds the constants. */
export interface PlanTaskIn {
  id: string;
  service?: string;
  input: Record<string, unknown>;
}

/** An explicit execution plan (our extension to orra's request). */
export interface PlanIn {
  tasks: PlanTaskIn[];
  parallel_groups?: string[][];
}

/** `POST /orchestrations` body. Field names are matched case-insensitively, as orra's Go decoder does. */
export interface OrchestrationIn {
  action: { content: string; type?: string };
  data?: DataField[] | null;
  /** Per-attempt task timeout, a Go duration string such as `"30s"`. */
  timeout?: string;
  /** How long a task may wait for its service to come back, a Go duration string. */
  healthCheckGracePeriod?: string;
  plan?: PlanIn;
}

/** A task of the stored plan, enriched with its service's details. */
export interface PlanTaskOut {
  id: string;
  service: string;
  input: Record<string, unknown>;
  service_name: string;
  capabilities: string[];
  expected_input: unknown;
  expected_output: unknown;
}

/** The stored plan (task0 is kept apart as `taskZero`). */
export interface PlanOut {
  tasks: PlanTaskOut[];
  parallel_groups: string[][];
}

/** The error of a failed orchestration: the failing task and the service's message. */
export interface OrchestrationErrorOut {
  id: string;
  /** The task id that failed (orra puts the service id here; the docs say task id, and so do we). */
  producer: string;
  error: string;
}

/**
 * The grounding use case a planner recognised the action as (our addition; orra keeps the whole use
 * case, without a score, in a `groundingHit` field that its clients do not read).
 */
export interface UseCaseOut {
  /** Name of the grounding spec that holds the use case. */
  grounding: string;
  /** The use case's action template, e.g. `Ship order {orderId}`. */
  action: string;
  /** How closely the action matched it, 0 to 1 with three decimals (docs/planning.md). */
  score: number;
}

/** The orchestration record: `POST /orchestrations` (202) and `GET /orchestrations/{id}`. */
export interface OrchestrationOut {
  id: string;
  projectID: string;
  action: { type: string; content: string };
  data: DataField[] | null;
  plan?: PlanOut;
  taskZero?: Record<string, unknown>;
  results: unknown[] | null;
  status: OrchestrationStatus;
  error?: unknown;
  abortReason?: unknown;
  timestamp: string;
  createdAt: string;
  timeout?: string;
  healthCheckGracePeriod?: string;
  /** Which planner produced the plan (`explicit` for a plan sent with the request). */
  planner?: string;
  /** The use case the action was planned as: in the `POST` response, when a grounding spec matched. */
  useCase?: UseCaseOut;
}

/** Compensation summary of a list item. */
export interface CompensationSummaryOut {
  active: boolean;
  total: number;
  completed: number;
  failed: number;
}

/** One item of `GET /orchestrations`. */
export interface OrchestrationListItemOut {
  id: string;
  action: string;
  status: OrchestrationStatus;
  error?: unknown;
  /** Time of the last status change (orra's). */
  timestamp: string;
  /** Creation time (ours; orra's CLI showed the last status change as the age). */
  createdAt?: string;
  compensation?: CompensationSummaryOut;
}

/** One item of `GET /orchestrations/search` (ours): a list item and its plan's progress. */
export interface OrchestrationSearchItemOut extends OrchestrationListItemOut {
  /** The plan's tasks (task0 excluded) and how many completed; absent until there is a plan. */
  tasks?: { done: number; total: number };
}

/** `GET /orchestrations`: groups with no entries are omitted. */
export interface OrchestrationListOut {
  pending?: OrchestrationListItemOut[];
  processing?: OrchestrationListItemOut[];
  completed?: OrchestrationListItemOut[];
  failed?: OrchestrationListItemOut[];
  notActionable?: OrchestrationListItemOut[];
  aborted?: OrchestrationListItemOut[];
}

/** One status change of a task. */
export interface TaskStatusEventOut {
  id: string;
  orchestrationId: string;
  taskId: string;
  status: TaskStatus;
  timestamp: string;
  serviceId: string;
  error?: string;
}

/** One interim result pushed by a running task. */
export interface InterimResultOut {
  id: string;
  timestamp: string;
  data: unknown;
}

/** A task's compensation state in the inspect view (orra's snake_case `max_attempts`). */
export interface TaskCompensationOut {
  status: string;
  /** Attempts made so far, an operator's retries included (they may exceed `max_attempts`). */
  attempt: number;
  max_attempts: number;
  timestamp: string;
  /** Ours: when the next attempt is due, while a failed attempt waits out its backoff. */
  nextAttemptAt?: string;
}

/** One compensation history entry (camelCase `maxAttempts`, as orra). */
export interface CompensationHistoryOut {
  id: string;
  taskId: string;
  status: string;
  attempt: number;
  maxAttempts: number;
  timestamp: string;
  error?: string;
  /** Ours: a step of an operator's retry (`POST /compensation-failures/{id}/retry`). */
  isManualRetry?: boolean;
}

/** One task of the inspect view. `duration` is integer nanoseconds. */
export interface TaskInspectOut {
  id: string;
  serviceId: string;
  serviceName: string;
  status: TaskStatus;
  /**
   * Ours, once the task has been sent: the attempt it is on (running, retrying: the next one, or ended
   * on), counting failed attempts as `taskMaxAttempts` does.
   */
  attempt?: number;
  /** Ours: the engine's `taskMaxAttempts`. */
  maxAttempts?: number;
  /** Ours: when the next attempt is due, while the task is `retrying`. */
  nextAttemptAt?: string;
  statusHistory: TaskStatusEventOut[];
  input: Record<string, unknown>;
  output?: unknown;
  abortPayload?: unknown;
  error?: string;
  duration: number;
  interimResults?: InterimResultOut[];
  compensation?: TaskCompensationOut;
  compensationHistory?: CompensationHistoryOut[];
  /**
   * Ours: answers the service sent after the work had ended, or for an attempt already counted as failed
   * (docs/ws-protocol.md, "Answers"). Never dropped: shown here, oldest first.
   */
  lateAnswers?: LateAnswerOut[];
  isRevertible: boolean;
}

/** Ours: one late answer of a task or of its compensation. */
export interface LateAnswerOut {
  /** Whether it answered the task or its compensation. */
  of: 'task' | 'compensation';
  timestamp: string;
  outcome: 'result' | 'failure' | 'abort';
  executionId: string | null;
  serviceId: string;
  output?: unknown;
  error?: string;
  reason: string;
  /** `compensating`: a late result of a revertible service, undone like any completed task. */
  disposition: 'compensating' | 'recorded';
}

/**
 * `GET /orchestrations/inspections/{id}`. `duration` is integer nanoseconds from creation to now, or to
 * the end once the orchestration has ended.
 */
export interface OrchestrationInspectOut {
  id: string;
  status: OrchestrationStatus;
  action: string;
  timestamp: string;
  /** Ours: creation time. */
  createdAt?: string;
  error?: unknown;
  /** The task and service are there when a task aborted; an operator's abort has only the payload. */
  abortInfo?: { taskId?: string; serviceId?: string; serviceName?: string; payload: unknown };
  tasks?: TaskInspectOut[];
  results?: unknown[] | null;
  duration: number;
  plan?: PlanOut;
  /** The use case the action was planned as, when a grounding spec matched (our addition). */
  useCase?: UseCaseOut;
}

/**
 * The request header that makes `POST /orchestrations` idempotent (Stripe's semantics): the same key and
 * the same body within `IDEMPOTENCY_KEY_TTL_MS` answer with the orchestration the first request made.
 */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** The longest `Idempotency-Key` the engine accepts (Stripe's limit). */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** How long the engine remembers an `Idempotency-Key`: 24 hours. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** The response header set on an answer replayed for an `Idempotency-Key` seen before (Stripe's name). */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
