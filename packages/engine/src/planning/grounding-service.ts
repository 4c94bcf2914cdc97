import { ERROR_CODES } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { GroundingRecord, Store } from '../storage/store.js';
import type { ValidGroundingSpec } from './grounding-validator.js';

/** Applying, listing and removing a project's grounding specs. */
export class GroundingService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Stores a spec. The same name with another version replaces the old spec (orra's upsert); the same
   * name and version again is refused, so re-applying an unchanged file is visible rather than silent.
   */
  apply(projectId: string, spec: ValidGroundingSpec): Promise<GroundingRecord> {
    return this.store.transaction(async (tx) => {
      const existing = await tx.groundings.get(projectId, spec.name);
      if (existing && existing.version === spec.version) {
        throw new EngineError(
          ERROR_CODES.GROUNDING_VERSION_EXISTS,
          `project ${projectId} already has a grounding spec with name ${spec.name} and version ${spec.version}`,
          { param: 'version' },
        );
      }
      const now = this.now();
      const record: GroundingRecord = { projectId, ...spec, createdAt: existing?.createdAt ?? now, updatedAt: now };
      await tx.groundings.upsert(record);
      return record;
    });
  }

  list(projectId: string): Promise<GroundingRecord[]> {
    return this.store.groundings.listByProject(projectId);
  }

  /** Removing a name the project does not have is not an error (orra answers 204 too). */
  async remove(projectId: string, name: string): Promise<void> {
    await this.store.groundings.delete(projectId, name);
  }

  async removeAll(projectId: string): Promise<void> {
    await this.store.groundings.deleteAll(projectId);
  }
}
