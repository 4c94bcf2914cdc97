/**
 * Whether to colour what goes to `stream`, by the rules Node applies to its own output: `FORCE_COLOR`
 * wins (`0` or `false` turn colour off), then `NO_COLOR` (https://no-color.org: any non-empty value)
 * and `TERM=dumb` turn it off, and otherwise only a terminal gets colour, so a pipe or a log file gets
 * plain text.
 */
export function isColourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
