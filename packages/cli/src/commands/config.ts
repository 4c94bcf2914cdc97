import { createInterface } from 'node:readline';
import type { CliContext } from '../cli-context.js';
import { CliError, usageError } from '../cli-error.js';
import { ConfigFile } from '../config-file.js';
import type { Register } from '../program.js';
import { examples } from './examples.js';

/**
 * `orra config reset`: forget every project (the engine keeps them, but the keys are kept only in the
 * config file). Asks first when something would be lost: on a terminal it asks, `--yes` skips the
 * question, and without either it refuses (a usage error) rather than wipe keys unasked.
 */
export const registerConfig: Register = (program, context) => {
  const config = program.command('config').description('Manage the CLI config file');
  examples(config, ['orra config reset']);
  const reset = config
    .command('reset')
    .description('Empty the config file (projects, keys and webhooks saved by this CLI)')
    .option('-y, --yes', 'reset without asking (what is lost is still printed)')
    .action(async (opts: { yes?: boolean }, command) => {
      const ctx = context(command);
      // Reset must work even when the file is unreadable, so it does not load it through the context.
      const path = ctx.configPath;
      const loss = whatIsLost(path);
      if (loss && opts.yes) ctx.out.note(`Forgetting ${loss}`);
      if (loss && !opts.yes) {
        if (ctx.io.stdin?.isTTY !== true)
          throw usageError(
            `config reset would forget ${loss}; run it in a terminal to confirm, or pass --yes`,
          );
        if (!(await confirm(ctx, `This forgets ${loss}. Reset? [y/N] `)))
          throw new CliError(`config reset cancelled; nothing changed in ${path}`);
      }
      ctx.resetConfig();
      ctx.out.line(`Config successfully reset, path: ${path}`);
    });
  examples(reset, [
    'orra config reset',
    'orra config reset --yes',
    'orra --config ./orra.json config reset --yes',
  ]);
};

/**
 * What resetting the file would lose, in words, or undefined when nothing would be (no file, no
 * projects): the projects by name and how many keys, which exist nowhere else.
 */
function whatIsLost(path: string): string | undefined {
  let file: ConfigFile;
  try {
    file = ConfigFile.load(path);
  } catch (err) {
    return `the contents of ${path}, which cannot be read (${(err as Error).message.split(';')[0]})`;
  }
  const names = file.projectNames;
  if (names.length === 0) return undefined;
  const keys = names.reduce((n, name) => {
    const p = file.project(name);
    return n + (p?.cli_auth ? 1 : 0) + Object.keys(p?.api_key ?? {}).length;
  }, 0);
  const projects = `${names.length} ${names.length === 1 ? 'project' : 'projects'} (${names.join(', ')})`;
  return `${projects} and ${keys} API ${keys === 1 ? 'key' : 'keys'} kept only in ${path}; the engine keeps the projects but cannot show their keys again`;
}

/** Asks a yes/no question on the terminal; anything but y or yes (or end of input) is no. */
function confirm(ctx: CliContext, question: string): Promise<boolean> {
  const stdin = ctx.io.stdin;
  if (!stdin) return Promise.resolve(false);
  const rl = createInterface({ input: stdin, output: ctx.io.stderr as NodeJS.WritableStream });
  return new Promise<boolean>((resolve) => {
    rl.once('close', () => resolve(false));
    rl.question(question, (answer) => {
      resolve(/^y(es)?$/i.test(answer.trim()));
      rl.close();
    });
  });
}
