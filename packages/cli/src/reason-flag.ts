import { InvalidArgumentError } from 'commander';

/**
 * Parses `--reason TEXT` (resolve, ignore, abort): kept as written, but never blank, which is a usage
 * error (exit 2) here rather than the engine's 400 after the fact (exit 1).
 */
export function reasonText(value: string): string {
  if (value.trim() === '')
    throw new InvalidArgumentError('It must not be blank: say why, e.g. --reason "Customer cancelled"');
  return value;
}
