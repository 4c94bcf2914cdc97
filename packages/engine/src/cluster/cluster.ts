import type { SdkPayload, ServerMessage } from '@orra/protocol';
import type { CompensationRunner } from '../compensation/compensation-runner.js';
import type { OrchestrationRunner } from '../orchestration/orchestration-runner.js';
import type { ServiceConnections } from '../orchestration/service-connections.js';
import type { ServiceEvents } from '../ws/ws-hub.js';

/** The local parts a cluster connects: the socket hub and the two runners. */
export interface ClusterParts {
  hub: ServiceConnections;
  runner: OrchestrationRunner;
  compensations: CompensationRunner;
  /** Wakes the webhook dispatcher: deliveries were just handed to this process. */
  wakeWebhooks(): void;
  /** A project's event log grew on some engine process (PostgreSQL: heard by NOTIFY): wake its readers. */
  eventsCommitted(projectId: string): void;
}

/**
 * How engine processes share work. The runners see it as their `ServiceConnections` (is a service
 * reachable, send it a message) and the hub reports socket events to it. `LocalCluster` is one process
 * alone (SQLite, or PostgreSQL with one engine); `PostgresCluster` routes across processes.
 */
export interface Cluster extends ServiceConnections, ServiceEvents {
  readonly nodeId: string;
  /** Resumes the work this process is to carry on with; resolves with how much. */
  start(): Promise<{ orchestrations: number; compensations: number }>;
  /**
   * An operator aborts an in-flight orchestration, wherever it runs. False when it is not in flight (or
   * its owner did not answer in time).
   */
  abortOrchestration(orchestrationId: string, payload: unknown): Promise<boolean>;
  /** Gives this process's work up to the others (they take it over at once) and stops. */
  close(): Promise<void>;
}

/** One engine process alone: every socket is local, and at start all in-flight work is its own. */
export class LocalCluster implements Cluster {
  readonly nodeId = 'local';

  constructor(private readonly parts: ClusterParts) {}

  async start(): Promise<{ orchestrations: number; compensations: number }> {
    const orchestrations = await this.parts.runner.resumeAll();
    const compensations = await this.parts.compensations.resumeAll();
    return { orchestrations, compensations };
  }

  abortOrchestration(orchestrationId: string, payload: unknown): Promise<boolean> {
    return this.parts.runner.abortOrchestration(orchestrationId, payload);
  }

  isConnected(serviceId: string): boolean {
    return this.parts.hub.isConnected(serviceId);
  }

  send(serviceId: string, message: ServerMessage): string | undefined {
    return this.parts.hub.send(serviceId, message);
  }

  handlePayload(serviceId: string, payload: SdkPayload): Promise<void> {
    return handleLocally(this.parts, serviceId, payload);
  }

  onServiceConnected(serviceId: string): void {
    notifyConnected(this.parts, serviceId);
  }

  onSocketClosed(serviceId: string, socketId: string): void {
    notifySocketClosed(this.parts, serviceId, socketId);
  }

  async close(): Promise<void> {}
}

/** Each runner looks the message up by its own idempotency keys and ignores the rest. */
export async function handleLocally(
  parts: ClusterParts,
  serviceId: string,
  payload: SdkPayload,
): Promise<void> {
  await Promise.all([
    parts.runner.handlePayload(serviceId, payload),
    parts.compensations.handlePayload(serviceId, payload),
  ]);
}

/** A service became reachable: paused tasks and waiting compensations for it go out now. */
export function notifyConnected(parts: ClusterParts, serviceId: string): void {
  parts.runner.onServiceConnected(serviceId);
  parts.compensations.onServiceConnected(serviceId);
}

/** A socket closed: what was sent on it goes to another socket of the service, or waits for one. */
export function notifySocketClosed(parts: ClusterParts, serviceId: string, socketId: string): void {
  parts.runner.onSocketClosed(serviceId, socketId);
  parts.compensations.onSocketClosed(serviceId, socketId);
}
