import { ERROR_CODES, isValidServiceName, newServiceId, type ServiceKind, type ServiceSchema } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { ServiceRecord, Store } from '../storage/store.js';
import { normalizeSpec } from './spec-validator.js';

/** Registration input after the HTTP layer parsed the body. */
export interface ServiceRegistration {
  id?: string | null;
  name: unknown;
  description: unknown;
  schema: unknown;
  revertible?: unknown;
}

/** Services and agents of a project. */
export class ServiceRegistry {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers a new service, or re-registers an existing id of the project (version + 1). */
  async register(projectId: string, kind: ServiceKind, input: ServiceRegistration): Promise<ServiceRecord> {
    const { name, description, schema, revertible } = validateRegistration(input);
    const id = typeof input.id === 'string' ? input.id.trim() : '';
    const now = this.now();
    if (id === '') {
      const record: ServiceRecord = {
        id: newServiceId(),
        projectId,
        name,
        description,
        schema,
        revertible,
        kind,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      await this.store.services.insert(record);
      return record;
    }
    return this.store.transaction(async (tx) => {
      const existing = await tx.services.get(projectId, id);
      if (!existing) {
        throw new EngineError(ERROR_CODES.UNKNOWN_SERVICE, `service ${id} not found in this project`, { param: 'id' });
      }
      const record = { ...existing, name, description, schema, revertible, kind, version: existing.version + 1, updatedAt: now };
      await tx.services.update(record);
      return record;
    });
  }

  get(projectId: string, id: string): Promise<ServiceRecord | undefined> {
    return this.store.services.get(projectId, id);
  }

  list(projectId: string): Promise<ServiceRecord[]> {
    return this.store.services.listByProject(projectId);
  }
}

function validateRegistration(input: ServiceRegistration): {
  name: string;
  description: string;
  schema: ServiceSchema;
  revertible: boolean;
} {
  const problems: string[] = [];
  if (typeof input.name !== 'string' || !isValidServiceName(input.name)) {
    problems.push('name: must be 3-63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit');
  }
  if (typeof input.description !== 'string' || input.description.trim() === '') {
    problems.push('description: must be a non-empty string');
  }
  if (input.revertible !== undefined && input.revertible !== null && typeof input.revertible !== 'boolean') {
    problems.push('revertible: must be a boolean');
  }
  let schema: ServiceSchema | undefined;
  const raw = input.schema as Record<string, unknown> | undefined;
  if (raw === null || typeof raw !== 'object') {
    problems.push('schema: must be an object with input and output');
  } else {
    const specInput = normalizeSpec(raw.input, 'schema.input', problems);
    const specOutput = normalizeSpec(raw.output, 'schema.output', problems);
    if (specInput && specInput.type !== 'object') problems.push('schema.input.type: must be object');
    if (specOutput && specOutput.type !== 'object') problems.push('schema.output.type: must be object');
    if (specInput && specOutput) schema = { input: specInput, output: specOutput };
  }
  if (problems.length > 0 || !schema) {
    throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `service validation error: ${problems.join('; ')}`, {
      param: problems[0]?.split(/[.:]/)[0],
    });
  }
  return {
    name: input.name as string,
    description: input.description as string,
    schema,
    revertible: input.revertible === true,
  };
}
