import type { EpochMs } from './records.js';

/** One supported action of a grounding spec, as stored (already validated). */
export interface GroundingUseCase {
  action: string;
  params: Record<string, string> | null;
  capabilities: string[];
  intent: string;
}

/** A project's grounding spec. `(projectId, name)` is unique: a new version replaces the old one. */
export interface GroundingRecord {
  projectId: string;
  name: string;
  domain: string;
  version: string;
  useCases: GroundingUseCase[];
  constraints: string[] | null;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface GroundingRepo {
  /** Inserts the spec, or replaces the project's spec of the same name. */
  upsert(record: GroundingRecord): Promise<void>;
  get(projectId: string, name: string): Promise<GroundingRecord | undefined>;
  /** Sorted by name (orra's order, and the order the planners try them in). */
  listByProject(projectId: string): Promise<GroundingRecord[]>;
  /** True when a spec was removed. */
  delete(projectId: string, name: string): Promise<boolean>;
  /** How many specs were removed. */
  deleteAll(projectId: string): Promise<number>;
}
