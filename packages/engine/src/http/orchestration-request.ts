import { ERROR_CODES, parseGoDuration, type DataField } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { OrchestrationRequest } from '../orchestration/orchestration-service.js';
import { field, objectBody } from './body.js';

/**
 * Decodes `POST /orchestrations` the way orra's Go decoder does: field names case-insensitive
 * (`action.Content`), `data` an array of `{field, value}` or null, durations as Go strings — plus our
 * explicit `plan`. Anything malformed is a 400 naming the field.
 */
export function decodeOrchestrationRequest(raw: unknown): OrchestrationRequest {
  const body = objectBody(raw);
  const action = field(body, 'action');
  const content = action !== null && typeof action === 'object' ? field(action as Record<string, unknown>, 'content') : undefined;
  if (typeof content !== 'string' || content.trim() === '') {
    throw invalid('action.content', 'action.content: must be a non-empty string describing the action');
  }
  const timeout = duration(field(body, 'timeout'), 'timeout');
  const grace = duration(field(body, 'healthCheckGracePeriod'), 'healthCheckGracePeriod');
  if (timeout.ms !== undefined && timeout.ms <= 0) throw invalid('timeout', 'timeout: must be positive');
  return {
    action: content,
    data: decodeData(field(body, 'data')),
    timeoutMs: timeout.ms,
    timeoutText: timeout.text,
    healthCheckGracePeriodMs: grace.ms,
    healthCheckGracePeriodText: grace.text,
    plan: field(body, 'plan'),
  };
}

function decodeData(value: unknown): DataField[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw invalid('data', 'data: must be an array of {field, value} or null');
  const seen = new Set<string>();
  return value.map((item, i) => {
    if (item === null || typeof item !== 'object') throw invalid('data', `data[${i}]: must be an object {field, value}`);
    const name = field(item as Record<string, unknown>, 'field');
    if (typeof name !== 'string' || name === '') throw invalid('data', `data[${i}].field: must be a non-empty string`);
    if (seen.has(name)) throw invalid('data', `data[${i}].field: "${name}" appears twice`);
    seen.add(name);
    return { field: name, value: field(item as Record<string, unknown>, 'value') ?? null };
  });
}

/** Accepts a Go duration string, a number of nanoseconds, or orra's legacy `{"Duration": ns}`. */
function duration(value: unknown, name: string): { ms: number | undefined; text: string | undefined } {
  if (value === undefined || value === null) return { ms: undefined, text: undefined };
  if (typeof value === 'string') {
    const ms = parseGoDuration(value);
    if (ms === undefined || ms < 0) throw invalid(name, `${name}: "${value}" is not a duration such as "30s", "5m" or "1h30m"`);
    return { ms, text: value };
  }
  const ns = typeof value === 'number' ? value : (value as { Duration?: unknown }).Duration;
  if (typeof ns === 'number' && ns >= 0) return { ms: ns / 1e6, text: String(ns) };
  throw invalid(name, `${name}: must be a duration string such as "30s"`);
}

const invalid = (param: string, message: string) => new EngineError(ERROR_CODES.JSON_MARSHALING_FAIL, message, { param });
