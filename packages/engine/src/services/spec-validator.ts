import type { Spec } from '@orra/protocol';

const TYPES = new Set(['object', 'string', 'number', 'integer', 'boolean', 'array']);

/**
 * Validates a service schema Spec with orra's rules and returns the subset orra keeps (type,
 * properties, required, format, minimum, maximum, items). Problems are collected as `path: message`.
 */
export function normalizeSpec(value: unknown, path: string, problems: string[]): Spec | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${path}: must be an object`);
    return undefined;
  }
  const v = value as Record<string, unknown>;
  if (typeof v.type !== 'string' || !TYPES.has(v.type)) {
    problems.push(`${path}.type: must be one of ${[...TYPES].join(', ')}`);
    return undefined;
  }
  const spec: Spec = { type: v.type as Spec['type'] };
  if (typeof v.format === 'string') spec.format = v.format;
  if (typeof v.minimum === 'number') spec.minimum = v.minimum;
  if (typeof v.maximum === 'number') spec.maximum = v.maximum;
  if (spec.type === 'object') {
    const props = v.properties;
    if (props === null || typeof props !== 'object' || Array.isArray(props) || Object.keys(props).length === 0) {
      problems.push(`${path}.properties: an object schema needs at least one property`);
      return undefined;
    }
    spec.properties = {};
    for (const [key, sub] of Object.entries(props as Record<string, unknown>)) {
      const normalized = normalizeSpec(sub, `${path}.properties.${key}`, problems);
      if (normalized) spec.properties[key] = normalized;
    }
    if (v.required !== undefined) {
      if (!Array.isArray(v.required) || v.required.some((r) => typeof r !== 'string')) {
        problems.push(`${path}.required: must be an array of property names`);
      } else {
        const unknown = (v.required as string[]).filter((r) => !(r in spec.properties!));
        if (unknown.length > 0) problems.push(`${path}.required: names unknown properties ${unknown.join(', ')}`);
        spec.required = v.required as string[];
      }
    }
  }
  if (spec.type === 'array') {
    if (v.items === undefined) {
      problems.push(`${path}.items: an array schema needs items`);
      return undefined;
    }
    spec.items = normalizeSpec(v.items, `${path}.items`, problems);
  }
  return spec;
}

/**
 * The keys a task input must carry: `required` when the schema lists it, otherwise every property
 * (orra requires all properties, and services written for orra rely on that).
 */
export function requiredKeys(spec: Spec): string[] {
  return spec.required ?? Object.keys(spec.properties ?? {});
}
