/** The subset of JSON Schema orra keeps for service input/output schemas. */
export interface Spec {
  type: 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array';
  properties?: Record<string, Spec>;
  required?: string[];
  format?: string;
  minimum?: number;
  maximum?: number;
  items?: Spec;
}

/** A service's input and output schemas. */
export interface ServiceSchema {
  input: Spec;
  output: Spec;
}

/** `POST /register/service` and `POST /register/agent` body. */
export interface ServiceIn {
  /** Empty/null registers a new service; an existing id of the project re-registers it. */
  id?: string | null;
  name: string;
  description: string;
  schema: ServiceSchema;
  revertible?: boolean;
  version?: number;
}

/** Registration result. */
export interface ServiceOut {
  id: string;
  name: string;
  status: 'registered';
  revertible: boolean;
  version: number;
}

/** Whether a registration came in as a service or an agent. */
export type ServiceKind = 'service' | 'agent';

/** Whether a service has a live socket to the engine, as `GET /services` reports it (ours). */
export interface ServiceConnectionOut {
  state: 'connected' | 'disconnected';
  /** Open sockets of the service, across every engine process. */
  sockets: number;
  /**
   * When the service entered this state, as seen by the engine process that answers (RFC 3339); null
   * when it has not been connected since that process started.
   */
  since: string | null;
}

/** Tasks waiting on a service, by why they wait. */
export interface ServiceTasksOut {
  /** Paused: waiting for a socket of the service (it is away). */
  waiting: number;
  /** Sent to it, its answer awaited (it is busy with them). */
  running: number;
  /** Failed an attempt and waiting to be sent to it again. */
  retrying: number;
}

/** One service or agent of the caller's project: `GET /services` and `GET /services/{id}` (ours). */
export interface ServiceDetailOut {
  id: string;
  name: string;
  kind: ServiceKind;
  description: string;
  revertible: boolean;
  version: number;
  schema: ServiceSchema;
  connection: ServiceConnectionOut;
  /** Tasks of in-flight orchestrations waiting on this service (ours; docs/http-api.md). */
  tasks: ServiceTasksOut;
  createdAt: string;
  updatedAt: string;
}
