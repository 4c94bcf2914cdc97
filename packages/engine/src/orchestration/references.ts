/**
 * `$taskN.field` references between plan tasks. orra resolves only top-level input values and looks the
 * field up as one literal key; we do the same first, then fall back to a dotted path (`$task1.a.b`), and
 * also resolve references nested inside objects and arrays.
 */
const REFERENCE = /^\$(task\d+)\.(.+)$/;

export interface Reference {
  taskId: string;
  field: string;
}

/** The reference a value holds, if it is one. */
export function parseReference(value: unknown): Reference | undefined {
  if (typeof value !== 'string') return undefined;
  const m = REFERENCE.exec(value);
  return m ? { taskId: m[1] as string, field: m[2] as string } : undefined;
}

/** Every reference anywhere inside a value. */
export function collectReferences(value: unknown, out: Reference[] = []): Reference[] {
  const ref = parseReference(value);
  if (ref) out.push(ref);
  else if (Array.isArray(value)) for (const v of value) collectReferences(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collectReferences(v, out);
  return out;
}

const MISSING = Symbol('missing');

/** Looks a field up in an output: the exact key first, then the dotted path. */
export function lookupField(output: unknown, field: string): unknown {
  if (output === null || typeof output !== 'object') return MISSING;
  const record = output as Record<string, unknown>;
  if (Object.hasOwn(record, field)) return record[field];
  let current: unknown = output;
  for (const part of field.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return MISSING;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** True when `lookupField` found nothing. */
export const isMissing = (value: unknown): boolean => value === MISSING;

/**
 * Replaces references with the values they point at. A top-level key whose reference finds nothing is
 * left out (as orra does); the validator makes that rare by checking fields against output schemas.
 */
export function resolveInput(
  input: Record<string, unknown>,
  outputs: ReadonlyMap<string, unknown>,
): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const v = resolveValue(value, outputs);
    if (v !== MISSING) resolved[key] = v;
  }
  return resolved;
}

function resolveValue(value: unknown, outputs: ReadonlyMap<string, unknown>): unknown {
  const ref = parseReference(value);
  if (ref) return lookupField(outputs.get(ref.taskId), ref.field);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, outputs)).map((v) => (v === MISSING ? null : v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = resolveValue(v, outputs);
      if (r !== MISSING) out[k] = r;
    }
    return out;
  }
  return value;
}
