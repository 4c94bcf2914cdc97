/**
 * JSON examples as the docs write them: real JSON except that `…` stands for left-out items (`"a":1,…`)
 * or parts of values (`"id":"wh_8fKq2…"`). `parseDocJson` drops the left-out items and keeps the
 * abbreviated values as strings, so the example can be compared with a real response.
 */
export function parseDocJson(text: string): unknown {
  let out = '';
  let isInString = false;
  let hasPendingComma = false;
  let lastSignificant = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (isInString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') isInString = false;
      continue;
    }
    if (c === '…') {
      // After a key, `…` stands for a value left out: keep the key with a placeholder. Elsewhere it stands
      // for items left out, which are not part of the JSON.
      if (lastSignificant === ':') {
        out += '"…"';
        lastSignificant = '"';
      }
      continue;
    }
    if (/\s/.test(c)) {
      out += c;
      continue;
    }
    if (c === ',') {
      hasPendingComma = true;
      continue;
    }
    // A comma survives only between two items: not after an opening bracket, not before a closing one.
    if (
      hasPendingComma &&
      c !== '}' &&
      c !== ']' &&
      lastSignificant !== '{' &&
      lastSignificant !== '[' &&
      lastSignificant !== ','
    ) {
      out += ',';
      lastSignificant = ',';
    }
    hasPendingComma = false;
    if (c === '"') isInString = true;
    out += c;
    lastSignificant = c;
  }
  try {
    return JSON.parse(out);
  } catch (err) {
    throw new Error(`doc example is not JSON even without its elisions: ${(err as Error).message}\n${text}`, {
      cause: err,
    });
  }
}

/** A value that stands for "something of this kind": an abbreviated id, a `<placeholder>`, a bare `…`. */
function isPlaceholder(value: string): boolean {
  return value.includes('…') || /<[^>]+>/.test(value);
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

export interface ShapeOptions {
  /** Paths (`deliveries[0].attempts`, `requeued`) whose value is an example only: type checked, not value. */
  varying?: readonly string[];
}

/**
 * What differs between a documented example and a real value. Every key of the example must be in the
 * real value; a placeholder string needs a string, a time needs an RFC 3339 UTC time, and any other value
 * must be equal (types only for the `varying` paths). Arrays compare item by item (the example's items
 * against the real ones at the same index). Extra keys in the real value are allowed.
 */
export function shapeMismatches(
  example: unknown,
  actual: unknown,
  options: ShapeOptions = {},
  path = '',
): string[] {
  const at = path || '(root)';
  const isVarying = options.varying?.includes(path) ?? false;
  if (Array.isArray(example)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length < example.length)
      return [`${at}: expected at least ${example.length} items, got ${actual.length}`];
    return example.flatMap((item, i) => shapeMismatches(item, actual[i], options, `${path}[${i}]`));
  }
  if (example !== null && typeof example === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(example).flatMap(([key, value]) => {
      const sub = path ? `${path}.${key}` : key;
      if (!Object.hasOwn(actual, key)) return [`${sub}: documented but missing`];
      return shapeMismatches(value, (actual as Record<string, unknown>)[key], options, sub);
    });
  }
  if (typeof example === 'string' && (isPlaceholder(example) || isVarying)) {
    return typeof actual === 'string' ? [] : [`${at}: expected a string, got ${JSON.stringify(actual)}`];
  }
  if (typeof example === 'string' && RFC3339.test(example) && example !== '0001-01-01T00:00:00Z') {
    return typeof actual === 'string' && RFC3339.test(actual)
      ? []
      : [`${at}: expected an RFC 3339 UTC time, got ${JSON.stringify(actual)}`];
  }
  if (isVarying) {
    return actual !== null && typeof actual === typeof example
      ? []
      : [`${at}: expected a ${typeof example}, got ${JSON.stringify(actual)}`];
  }
  return Object.is(example, actual)
    ? []
    : [`${at}: documented ${JSON.stringify(example)}, got ${JSON.stringify(actual)}`];
}

/** Replaces each placeholder of a doc example (`s_payments…`, `wh_8fKq2…`) with a real value. */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  let out = text;
  for (const [placeholder, value] of Object.entries(values)) out = out.replaceAll(placeholder, value);
  return out;
}
