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
