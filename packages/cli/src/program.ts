import { Command, CommanderError } from 'commander';
import { CliContext, type CliIo } from './cli-context.js';
import { shouldColor } from './output.js';
import { CliError, CliExit, describeError, EXIT_USAGE, oneLine } from './cli-error.js';
import { registerAbort } from './commands/abort.js';
import { registerApiKeys } from './commands/api-keys.js';
import { registerCompFail } from './commands/comp-fail.js';
import { registerConfig } from './commands/config.js';
import { registerConsole } from './commands/console.js';
import { registerGrounding } from './commands/grounding.js';
import { registerInspect } from './commands/inspect.js';
import { registerProjects } from './commands/projects.js';
import { registerPs } from './commands/ps.js';
import { registerServices } from './commands/services.js';
import { registerVerify } from './commands/verify.js';
import { CLI_VERSION, registerVersion } from './commands/version.js';
import { registerWebhooks } from './commands/webhooks.js';

/** Builds the `orra` command tree. Commands get their context (config, client, output) from `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('orra')
    .description('Drive an orra plan engine: projects, webhooks, orchestrations and failed compensations')
    .option('--config <path>', 'config file (default: $ORRA_CONFIG or ~/.orra/config.json)')
    .option('-p, --project <name>', 'act on this project instead of the current one')
    .option('--no-color', 'never colour the output (NO_COLOR does the same)')
    .version(CLI_VERSION, '-V, --version', 'print the client version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      // Usage errors are printed by run() as one `Error:` line with a pointer to --help.
      outputError: () => undefined,
    })
    .exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  $ orra projects add my-app --server http://localhost:8005
  $ orra webhooks add https://example.com/orra-notifications
  $ orra verify run "Process refund for order ORD123" -d orderId:ORD123
  $ orra ps
  $ orra comp-fail ls

Config: --config, else $ORRA_CONFIG, else ~/.orra/config.json. Add --json to data commands for scripts.`,
  );
  const context = (command: Command) => CliContext.of(command, io);
  for (const register of [
    registerProjects,
    registerApiKeys,
    registerServices,
    registerWebhooks,
    registerCompFail,
    registerVerify,
    registerPs,
    registerInspect,
    registerAbort,
    registerConsole,
    registerGrounding,
    registerConfig,
    registerVersion,
  ]) {
    register(program, context);
  }
  return program;
}

/** Signature of every `registerX` in commands/: adds its commands, building a context per run. */
export type Register = (program: Command, context: (command: Command) => CliContext) => void;

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves with the exit code: 0 ok,
 * 1 failure, 2 usage error. Every error is one `Error: …` line on stderr.
 */
export async function run(args: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, program, args, io);
    if (err instanceof CliExit) return err.exitCode;
    const error = err instanceof CliError ? err : describeError(err, undefined);
    io.stderr.write(`${errorPrefix(io, args)} ${error.message}\n`);
    return error.exitCode;
  }
}

function commanderExit(err: CommanderError, program: Command, args: string[], io: CliIo): number {
  // Help and --version end the parse with a CommanderError too; they are not failures.
  if (
    err.code === 'commander.helpDisplayed' ||
    err.code === 'commander.version' ||
    err.code === 'commander.help'
  ) {
    return 0;
  }
  // Commander's sentences end in a full stop ("Allowed choices are a, b."); ours go on with "; see".
  const message = oneLine(err.message.replace(/^error: /, '')).replace(/\.$/, '') || 'invalid command line';
  io.stderr.write(`${errorPrefix(io, args)} ${message}; see '${commandPath(program, args)} --help'\n`);
  return EXIT_USAGE;
}

/** `orra comp-fail resolve` for the args that named those subcommands. */
function commandPath(program: Command, args: string[]): string {
  const names = [program.name()];
  let current = program;
  for (const arg of args) {
    if (arg.startsWith('-')) continue;
    const sub = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    names.push(sub.name());
    current = sub;
  }
  return names.join(' ');
}

/** `Error:`, red when stderr is a terminal (same rules as stdout's colour). */
function errorPrefix(io: CliIo, args: string[]): string {
  return shouldColor(io.stderr, io.env, !args.includes('--no-color'))
    ? '\u001b[31mError:\u001b[39m'
    : 'Error:';
}
