import type { Command } from 'commander';

/** Adds an "Examples:" block to a command's `--help`, as gh and kubectl do. */
export function examples(command: Command, lines: string[], note?: string): Command {
  const text = lines.map((l) => `  $ ${l}`).join('\n');
  return command.addHelpText('after', `\nExamples:\n${text}${note ? `\n\n${note}` : ''}`);
}
