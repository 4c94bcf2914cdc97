import type {
  CompensationRecord,
  JournalEntry,
  OrchestrationRecord,
  ProjectRecord,
  ServiceRecord,
  TaskRecord,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
} from '../../src/storage/store.js';

/** Records with every field set, for the storage contract tests; `at` is a realistic epoch-ms time. */
export const T0 = 1_767_000_000_000;

export const project = (id = 'p_1', o: Partial<ProjectRecord> = {}): ProjectRecord => ({
  id,
  name: `project ${id}`,
  createdAt: T0,
  webhooks: ['http://127.0.0.1:1/hook'],
  compensationFailureWebhooks: [],
  ...o,
});

export const service = (id: string, o: Partial<ServiceRecord> = {}): ServiceRecord => ({
  id,
  projectId: 'p_1',
  name: `svc-${id}`,
  description: 'does things',
  schema: {
    input: { type: 'object', properties: { n: { type: 'number' } } },
    output: { type: 'object' },
  } as never,
  revertible: true,
  kind: 'service',
  version: 1,
  createdAt: T0,
  updatedAt: T0,
  ...o,
});

export const orchestration = (id: string, o: Partial<OrchestrationRecord> = {}): OrchestrationRecord => ({
  id,
  projectId: 'p_1',
  action: 'do the thing',
  data: [{ field: 'orderId', value: 'ORD1' }] as never,
  plan: null,
  taskZero: { orderId: 'ORD1' },
  status: 'pending',
  error: null,
  results: null,
  abortReason: null,
  timeoutMs: 30_000,
  healthCheckGracePeriodMs: 30 * 24 * 3_600_000, // beyond 2^31: needs a 64-bit column
  timeoutText: null,
  healthCheckGracePeriodText: '720h',
  planner: 'explicit',
  createdAt: T0,
  updatedAt: T0,
  ...o,
});

export const task = (orchestrationId: string, seq: number, o: Partial<TaskRecord> = {}): TaskRecord => ({
  orchestrationId,
  taskId: `task${seq}`,
  seq,
  serviceId: 's_a',
  serviceName: 'svc-a',
  input: { n: '$task0.n' },
  resolvedInput: null,
  state: 'waiting',
  attempts: 0,
  consecutiveErrors: 0,
  idempotencyKey: null,
  executionId: null,
  output: null,
  error: null,
  pausedSince: null,
  nextAttemptAt: null,
  compensation: null,
  completedAt: null,
  ...o,
});

export const entry = (
  orchestrationId: string,
  entryId: string,
  o: Partial<JournalEntry> = {},
): JournalEntry => ({
  orchestrationId,
  type: 'task_status',
  entryId,
  taskId: 'task1',
  producerId: 'task1',
  value: { status: 'processing' },
  attempt: 1,
  at: T0,
  ...o,
});

export const compensation = (id: string, o: Partial<CompensationRecord> = {}): CompensationRecord => ({
  id,
  projectId: 'p_1',
  orchestrationId: 'o_1',
  taskId: `task_${id}`,
  serviceId: 's_a',
  serviceName: 'Svc-A',
  position: 0,
  status: 'pending',
  data: { refund: 10 },
  ttlMs: 24 * 3_600_000,
  context: { orchestrationId: 'o_1', reason: 'failed', timestamp: '2026-01-01T00:00:00Z' } as never,
  taskInput: { amount: 10 },
  taskCompletedAt: T0,
  idempotencyKey: `key_${id}`,
  executionId: null,
  attempts: 0,
  maxAttempts: 10,
  nextAttemptAt: null,
  lastError: null,
  partial: null,
  failedAt: null,
  resolutionState: null,
  resolution: null,
  resolvedAt: null,
  createdAt: T0,
  updatedAt: T0,
  ...o,
});

/** A compensation that failed for good at `failedAt`, pending an operator. */
export const failed = (
  id: string,
  failedAt: number,
  o: Partial<CompensationRecord> = {},
): CompensationRecord =>
  compensation(id, { status: 'failed', failedAt, resolutionState: 'pending', lastError: 'boom', ...o });

export const endpoint = (id: string, o: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord => ({
  id,
  projectId: 'p_1',
  kind: 'orchestration',
  url: `http://127.0.0.1:1/${id}`,
  secret: `whsec_${id}`,
  previousSecret: null,
  previousSecretExpiresAt: null,
  isEnabled: true,
  disabledReason: null,
  disabledAt: null,
  createdAt: T0,
  updatedAt: T0,
  deletedAt: null,
  ...o,
});

export const delivery = (
  eventId: string,
  endpointId: string,
  o: Partial<Omit<WebhookDeliveryRecord, 'seq'>> = {},
): Omit<WebhookDeliveryRecord, 'seq'> => ({
  eventId,
  endpointId,
  projectId: 'p_1',
  eventType: 'orchestration.completed',
  status: 'pending',
  attempts: 0,
  runAttempts: 0,
  nextAttemptAt: T0,
  lastHttpStatus: null,
  lastError: null,
  version: 0,
  createdAt: T0,
  updatedAt: T0,
  ...o,
});
