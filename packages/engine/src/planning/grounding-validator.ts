import { ERROR_CODES } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { GroundingUseCase } from '../storage/store.js';
import { slotsOf } from './slot-filler.js';

/** A grounding spec that passed validation, ready to store. */
export interface ValidGroundingSpec {
  name: string;
  domain: string;
  version: string;
  useCases: GroundingUseCase[];
  constraints: string[] | null;
}

const NAMING = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;

/**
 * orra's grounding rules (orra-compat §1.3), checked in orra's order so the first problem reported is
 * the one orra would report; `param` is orra's (`name`, `domain`, `version`, `use-cases`, `constraints`).
 * The input is a body whose top-level keys were already matched case-insensitively. We skip orra's
 * PDDL-validator health check: nothing here runs an external PDDL tool.
 */
export function validateGroundingSpec(body: Record<string, unknown>): ValidGroundingSpec {
  const name = naming(body.name, 'name');
  const domain = naming(body.domain, 'domain');
  if (typeof body.version !== 'string' || body.version.trim() === '') {
    throw invalid('version', body.version === undefined || typeof body.version === 'string' ? 'version: cannot be blank' : 'version: must be a string');
  }
  const rawCases = body.useCases;
  if (rawCases !== undefined && rawCases !== null && !Array.isArray(rawCases)) throw invalid('use-cases', 'use-cases: must be an array');
  if (!Array.isArray(rawCases) || rawCases.length === 0) throw invalid('use-cases', 'use-cases: cannot be empty');
  const useCases = rawCases.map((raw, i) => useCase(raw, `use-case[${i}]`));
  return { name, domain, version: body.version, useCases, constraints: constraints(body.constraints) };
}

function naming(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(field, `${field}: must be a string of 3 to 63 characters`);
  if (value.length < 3 || value.length > 63) throw invalid(field, `${field}: must be between 3 and 63 characters`);
  if (!NAMING.test(value)) {
    throw invalid(
      field,
      `${field}: must consist of lowercase alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  }
  return value;
}

function useCase(raw: unknown, where: string): GroundingUseCase {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('use-cases', `${where}: must be an object`);
  const u = lowerKeys(raw as Record<string, unknown>);
  if (typeof u.action !== 'string' || u.action.trim() === '') throw invalid('use-cases', `${where}: action: cannot be blank`);
  const params = u.params ?? null;
  if (params !== null && (typeof params !== 'object' || Array.isArray(params))) {
    throw invalid('use-cases', `${where}: params: must be an object of example values`);
  }
  for (const [key, value] of Object.entries(params ?? {})) {
    if (typeof value !== 'string') throw invalid('use-cases', `${where}: params.${key}: must be a string`);
  }
  const missing = slotsOf(u.action).filter((slot) => !Object.hasOwn(params ?? {}, slot));
  if (missing.length > 0) throw invalid('use-cases', `${where}: params: missing required param(s): ${missing.join(', ')}`);
  const caps = u.capabilities;
  if (!Array.isArray(caps) || caps.length === 0) throw invalid('use-cases', `${where}: capabilities: at least one capability is required`);
  caps.forEach((c, i) => {
    if (typeof c !== 'string' || c.trim() === '') throw invalid('use-cases', `${where}: capabilities: capability at index ${i} is empty`);
  });
  if (typeof u.intent !== 'string' || u.intent.trim() === '') throw invalid('use-cases', `${where}: intent: cannot be blank`);
  return { action: u.action, params: params as Record<string, string> | null, capabilities: caps as string[], intent: u.intent };
}

function constraints(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw invalid('constraints', 'constraints: must be an array of strings');
  if (value.length === 0) return [];
  value.forEach((c, i) => {
    if (typeof c !== 'string' || c.trim() === '') throw invalid('constraints', `constraints: constraint at index ${i} cannot be empty`);
  });
  return value as string[];
}

/** orra decodes JSON case-insensitively; the use-case keys get the same treatment as the top level. */
function lowerKeys(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k.toLowerCase(), v]));
}

const invalid = (param: string, message: string) => new EngineError(ERROR_CODES.INVALID_GROUNDING, message, { param });
