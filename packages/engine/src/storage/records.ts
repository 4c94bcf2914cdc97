import type { DataField, OrchestrationStatus, PlanOut, ServiceKind, ServiceSchema } from '@orra/protocol';

/** Times are epoch milliseconds throughout storage; the HTTP layer formats them. */
export type EpochMs = number;

export interface ProjectRecord {
  id: string;
  name: string;
  createdAt: EpochMs;
  /** orra lets a registration body carry webhook URLs; kept for the webhooks issue to adopt. */
  webhooks: string[];
  compensationFailureWebhooks: string[];
}

export interface ApiKeyRecord {
  /** SHA-256 hex of the key: keys are never stored in clear. */
  keyHash: string;
  projectId: string;
  /** The first characters, to tell keys apart in listings without revealing them. */
  prefix: string;
  isPrimary: boolean;
  createdAt: EpochMs;
  /** `operate` (may change things) or `read` (may only look); keys made before roles are `operate`. */
  role: 'operate' | 'read';
  /** A name for audit entries (`primary` for the project's first key). */
  label: string | null;
}

export interface ServiceRecord {
  id: string;
  projectId: string;
  name: string;
  description: string;
  schema: ServiceSchema;
  revertible: boolean;
  kind: ServiceKind;
  version: number;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface OrchestrationRecord {
  id: string;
  projectId: string;
  action: string;
  data: DataField[] | null;
  plan: PlanOut | null;
  taskZero: Record<string, unknown>;
  status: OrchestrationStatus;
  error: unknown;
  results: unknown[] | null;
  abortReason: unknown;
  timeoutMs: number;
  healthCheckGracePeriodMs: number;
  /** The duration texts as sent, echoed in the record (orra shows them only when sent). */
  timeoutText: string | null;
  healthCheckGracePeriodText: string | null;
  planner: string;
  createdAt: EpochMs;
  /** Time of the last status change (orra's `timestamp`). */
  updatedAt: EpochMs;
  /** The `orchestration.start` span's W3C context (JSON), when tracing was on at creation; set once. */
  traceContext?: string | null;
}

/**
 * Task lifecycle inside the engine. `waiting` = dependencies not done; `processing` = sent, awaiting a
 * result; `retry_wait` = failed attempt, next attempt at `nextAttemptAt`; `paused` = no live socket of
 * its service since `pausedSince`.
 */
export type TaskState = 'waiting' | 'processing' | 'retry_wait' | 'paused' | 'completed' | 'failed' | 'aborted';

export interface TaskRecord {
  orchestrationId: string;
  taskId: string;
  /** Position in the plan (task1 → 1), for numeric ordering. */
  seq: number;
  serviceId: string;
  serviceName: string;
  /** The input template from the plan (references unresolved). */
  input: Record<string, unknown>;
  /** The resolved input sent to the service, once known. */
  resolvedInput: Record<string, unknown> | null;
  state: TaskState;
  attempts: number;
  consecutiveErrors: number;
  idempotencyKey: string | null;
  executionId: string | null;
  output: unknown;
  error: string | null;
  pausedSince: EpochMs | null;
  nextAttemptAt: EpochMs | null;
  /** Revertible services return compensation data with their result. */
  compensation: { data: unknown; ttl: number } | null;
  completedAt: EpochMs | null;
  /** The W3C context (JSON) of the task's latest attempt span, when traced: its compensation links to it. */
  traceContext?: string | null;
}

/**
 * orra's log entry types (`orra-compat.md` §5.8), and ours: `use_case_match`, the grounding use case
 * the planner recognised the action as (value `{grounding, action, score}`), written with the
 * orchestration; `late_answer`, a service's answer that came after its work had ended or its attempt
 * had been counted (value `LateAnswerValue`, answers/late-answer-entry.ts).
 */
export type JournalEntryType =
  | 'use_case_match'
  | 'task_output'
  | 'task_status'
  | 'task_interim_output'
  | 'task_aborted_output'
  | 'task_failure'
  | 'compensation_stored'
  | 'compensation_attempted'
  | 'compensation_complete'
  | 'compensation_partial'
  | 'compensation_failure'
  | 'compensation_expired'
  | 'orchestration_status'
  | 'late_answer';

/** One append-only journal row. */
export interface JournalEntry {
  orchestrationId: string;
  type: JournalEntryType;
  entryId: string;
  taskId: string | null;
  producerId: string;
  value: unknown;
  attempt: number;
  at: EpochMs;
}
