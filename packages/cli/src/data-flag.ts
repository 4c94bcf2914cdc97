import type { DataField } from '@orra/protocol';
import { InvalidArgumentError } from 'commander';

/**
 * Parses one `-d field:value` the way orra's CLI does: split at the first `:`; a value wrapped in
 * `[…]` or `{…}` is JSON; a value with a `,` (not starting with `[`) is a list of trimmed strings;
 * anything else is a string (numbers too, as orra sends them).
 */
export function parseDataFlag(text: string): DataField {
  const at = text.indexOf(':');
  if (at <= 0) throw new InvalidArgumentError('Expected field:value, e.g. -d orderId:ORD123');
  const field = text.slice(0, at).trim();
  const raw = text.slice(at + 1);
  const trimmed = raw.trim();
  if (
    (trimmed.startsWith('{') && trimmed.endsWith('}')) ||
    (trimmed.startsWith('[') && trimmed.endsWith(']'))
  ) {
    try {
      return { field, value: JSON.parse(trimmed) };
    } catch (err) {
      throw new InvalidArgumentError(
        `The value of ${field} looks like JSON but is not: ${(err as Error).message}`,
      );
    }
  }
  if (raw.includes(',') && !trimmed.startsWith('[')) {
    return { field, value: raw.split(',').map((part) => part.trim()) };
  }
  return { field, value: raw };
}

/** Commander collector for a repeatable `-d`. */
export function collectData(text: string, previous: DataField[] = []): DataField[] {
  return [...previous, parseDataFlag(text)];
}
