import type { SdkPayload, ServerMessage } from '@orra/protocol';
import type { StoredWork, UnownedAnswers } from '../answers/unowned-answers.js';
import type { ProgressNotice } from '../events/progress-signal.js';
import type { CompensationRunner } from '../compensation/compensation-runner.js';
import type { OrchestrationRunner } from '../orchestration/orchestration-runner.js';
import type { ServiceConnections } from '../orchestration/service-connections.js';
import { ServicePresence, type PresenceView } from '../services/service-presence.js';
import type { ServiceEvents } from '../ws/ws-hub.js';

/** What a cluster reads of this process's sockets beyond sending. */
export interface LocalSockets extends ServiceConnections {
  /** Open sockets of the service on this process. */
  socketCount(serviceId: string): number;
}

/** The local parts a cluster connects: the socket hub and the two runners. */
export interface ClusterParts {
  hub: ServiceConnections;
  runner: OrchestrationRunner;
  compensations: CompensationRunner;
  /** Answers no runner waits for: late or refused. */
  answers: UnownedAnswers;
  /** Wakes the webhook dispatcher: deliveries were just handed to this process. */
  wakeWebhooks(): void;
  /** A project's event log grew on some engine process (PostgreSQL: heard by NOTIFY): wake its readers. */
  eventsCommitted(projectId: string): void;
  /** An orchestration of the project progressed on some engine process: tell its streams (not logged). */
  progressHeard(projectId: string, notice: ProgressNotice): void;
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
  /** How many sockets a service has across the engine, and since when it is (dis)connected. */
  presence(serviceId: string): PresenceView;
  /** A runner here committed progress: every process's streams of the project hear of it. */
  progress(projectId: string, notice: ProgressNotice): void;
}

/** One engine process alone: every socket is local, and at start all in-flight work is its own. */
export class LocalCluster implements Cluster {
  readonly nodeId = 'local';
  private readonly presences: ServicePresence;

  constructor(
    private readonly parts: ClusterParts & { hub: LocalSockets },
    now: () => number = Date.now,
  ) {
    this.presences = new ServicePresence(now);
  }

  presence(serviceId: string): PresenceView {
    return this.presences.view(serviceId, this.parts.hub.socketCount(serviceId));
  }

  async start(): Promise<{ orchestrations: number; compensations: number }> {
    const orchestrations = await this.parts.runner.resumeAll();
    const compensations = await this.parts.compensations.resumeAll();
    return { orchestrations, compensations };
  }

  abortOrchestration(orchestrationId: string, payload: unknown): Promise<boolean> {
    return this.parts.runner.abortOrchestration(orchestrationId, payload);
  }

  progress(projectId: string, notice: ProgressNotice): void {
    this.parts.progressHeard(projectId, notice);
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
    this.presences.observe(serviceId, this.parts.hub.socketCount(serviceId));
    notifyConnected(this.parts, serviceId);
  }

  onSocketClosed(serviceId: string, socketId: string): void {
    this.presences.observe(serviceId, this.parts.hub.socketCount(serviceId));
    notifySocketClosed(this.parts, serviceId, socketId);
  }

  async close(): Promise<void> {}
}

/**
 * The runner waiting on the message's idempotency key takes it; what no runner here waits on is a late
 * or a refused answer (answers/unowned-answers.ts).
 */
export async function handleLocally(
  parts: ClusterParts,
  serviceId: string,
  payload: SdkPayload,
  found?: StoredWork,
): Promise<void> {
  if (payload.type === 'pong') return;
  if (await parts.runner.handlePayload(serviceId, payload)) return;
  if (await parts.compensations.handlePayload(serviceId, payload)) return;
  await parts.answers.handle(serviceId, payload, found);
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
