import type {
  ApiKeyRecord,
  JournalEntry,
  OrchestrationRecord,
  ProjectRecord,
  ServiceRecord,
  TaskRecord,
} from './records.js';
import type { BreakerRepo } from './breaker-records.js';
import type { AuditRepo, ConsoleSessionRepo } from './console-records.js';
import type { WebhookStatsRepo } from './webhook-stats-records.js';
import type { CompensationRepo } from './compensation-records.js';
import type { EventLogRepo } from './event-log-records.js';
import type { GroundingRepo } from './grounding-records.js';
import type { RetentionRepo } from './retention-records.js';
import type { ServiceHealthRepo } from './service-health-records.js';
import type { SubmissionKeyRepo } from './submission-key-records.js';
import type { WebhookDeliveryRepo, WebhookEndpointRepo } from './webhook-records.js';

export type * from './records.js';
export type * from './breaker-records.js';
export type * from './service-health-records.js';
export type * from './compensation-records.js';
export type * from './console-records.js';
export type * from './webhook-stats-records.js';
export type * from './event-log-records.js';
export type * from './grounding-records.js';
export type * from './retention-records.js';
export type * from './submission-key-records.js';
export type * from './webhook-records.js';

export interface ProjectRepo {
  insert(project: ProjectRecord): Promise<void>;
  get(id: string): Promise<ProjectRecord | undefined>;
  /** The project whose name is the same as `name` ignoring case and surrounding whitespace (see projectNameKey). */
  findByName(name: string): Promise<ProjectRecord | undefined>;
}

export interface ApiKeyRepo {
  insert(key: ApiKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  listByProject(projectId: string): Promise<ApiKeyRecord[]>;
}

export interface ServiceRepo {
  insert(service: ServiceRecord): Promise<void>;
  update(service: ServiceRecord): Promise<void>;
  get(projectId: string, id: string): Promise<ServiceRecord | undefined>;
  listByProject(projectId: string): Promise<ServiceRecord[]>;
}

export interface OrchestrationListFilter {
  /** Newest first, at most this many. */
  limit: number;
}

/** `GET /orchestrations/search`: every field optional but `limit`; newest first (created, then id). */
export interface OrchestrationSearch {
  limit: number;
  /** Any of these statuses (the search's `status=failed,aborted`). */
  statuses?: string[];
  /** Created at or after. */
  since?: number;
  /** Created before. */
  until?: number;
  idPrefix?: string;
  /** Case-insensitive text in the action. */
  text?: string;
  /** Orchestrations with a task on one of these services. */
  serviceIds?: string[];
  /** Keyset cursor: only rows after this one in the order. */
  after?: { createdAt: number; id: string };
}

export interface FailureCounts {
  totals: { failed: number; aborted: number };
  /** Largest first. A failed orchestration's service is its failing task's; an aborted one has none. */
  groups: { status: 'failed' | 'aborted'; serviceId: string | null; serviceName: string | null; error: string | null; count: number }[];
}

export interface OrchestrationRepo {
  insert(orchestration: OrchestrationRecord): Promise<void>;
  /** Writes the fields that change after creation: status, error, results, abortReason, updatedAt. */
  update(orchestration: OrchestrationRecord): Promise<void>;
  get(projectId: string, id: string): Promise<OrchestrationRecord | undefined>;
  getById(id: string): Promise<OrchestrationRecord | undefined>;
  listByProject(projectId: string, filter: OrchestrationListFilter): Promise<OrchestrationRecord[]>;
  search(projectId: string, filter: OrchestrationSearch): Promise<OrchestrationRecord[]>;
  /**
   * Failed and aborted orchestrations created in [since, until), counted (`totals`, from the
   * (project, status, created_at) index) and grouped by status, failing service and error text (`groups`,
   * the `limit` largest): the console's overview tile, without reading the rows out.
   */
  countFailures(projectId: string, range: { since: number; until: number; limit: number }): Promise<FailureCounts>;
  /** Orchestrations that are pending or processing: the work to resume after a restart. */
  listInFlight(): Promise<OrchestrationRecord[]>;
}

export interface TaskRepo {
  /** Inserts or replaces the tasks (keyed by orchestration id + task id). */
  save(tasks: TaskRecord[]): Promise<void>;
  /**
   * `save(tasks)` and `journal.append(entries)` together, as a step writes them: on PostgreSQL one
   * statement (one round trip instead of two).
   */
  saveWithJournal(tasks: TaskRecord[], entries: JournalEntry[]): Promise<void>;
  listByOrchestration(orchestrationId: string): Promise<TaskRecord[]>;
  /** The task sent under this idempotency key (keys are SHA-256 over the orchestration id: unique). */
  findByIdempotencyKey(idempotencyKey: string): Promise<TaskRecord | undefined>;
  /**
   * The project's tasks still waiting on a service, counted by service and state: `paused` (waiting for a
   * socket of it), `processing` (sent, its answer awaited), `retry_wait` (waiting to be sent again).
   * Only in-flight orchestrations' tasks can be in these states.
   */
  countOpenByService(projectId: string): Promise<OpenTaskCount[]>;
  /**
   * Each orchestration's stored tasks (the plan's, task0 is not one) and how many completed, in one
   * grouped query for a list page; orchestrations with no tasks are absent.
   */
  countByOrchestration(orchestrationIds: string[]): Promise<TaskCount[]>;
}

export interface TaskCount {
  orchestrationId: string;
  total: number;
  done: number;
}

export interface OpenTaskCount {
  serviceId: string;
  state: 'paused' | 'processing' | 'retry_wait';
  count: number;
}

export interface JournalRepo {
  /** Appends entries; an entry whose (orchestrationId, entryId) exists already is ignored. */
  append(entries: JournalEntry[]): Promise<void>;
  listByOrchestration(orchestrationId: string): Promise<JournalEntry[]>;
}

/** The repositories, as seen inside or outside a transaction. */
export interface Repos {
  projects: ProjectRepo;
  apiKeys: ApiKeyRepo;
  services: ServiceRepo;
  orchestrations: OrchestrationRepo;
  tasks: TaskRepo;
  journal: JournalRepo;
  compensations: CompensationRepo;
  groundings: GroundingRepo;
  webhookEndpoints: WebhookEndpointRepo;
  webhookDeliveries: WebhookDeliveryRepo;
  /** Each endpoint's circuit breaker (migration 0015). */
  breakers: BreakerRepo;
  events: EventLogRepo;
  retention: RetentionRepo;
  submissionKeys: SubmissionKeyRepo;
  audit: AuditRepo;
  consoleSessions: ConsoleSessionRepo;
  /** Open `service.unhealthy` episodes (migration 17). */
  serviceHealth: ServiceHealthRepo;
  /** Per-endpoint attempt counts and last attempt, for the Webhooks screen (migration 19). */
  webhookStats: WebhookStatsRepo;
}

/**
 * The storage port. Domain code sees only this; `app.ts` picks the adapter. All methods are async so a
 * network database can implement the same port.
 */
export interface Store extends Repos {
  /**
   * Runs `fn` in one transaction: everything it writes commits together or not at all. An adapter may run
   * `fn` more than once (PostgreSQL does after a serialization conflict), so `fn` must touch storage only
   * through `tx` and have no other effects; do those after the returned promise resolves.
   */
  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
