import { OrraClient } from '@orra/sdk';
import type { Command } from 'commander';
import { describeError, type ErrorHints } from './cli-error.js';
import { ConfigFile, resolveConfigPath, type ProjectEntry } from './config-file.js';
import { Output, shouldColor, type OutStream } from './output.js';
import { poll, POLL_INTERVAL_MS, type PollEnd } from './poll.js';

/** Per-call HTTP timeout: orra's CLI allows 5 minutes, since planning with an LLM can be slow. */
const CLIENT_TIMEOUT_MS = 5 * 60_000;
/**
 * `orra verify run` sends its submission again (same Idempotency-Key) when the connection broke or the
 * engine was starting: three retries over 3.5 s, enough for a cut connection or a quick restart without
 * keeping a user at a stopped engine waiting long.
 */
const SUBMIT_RETRY_DELAYS_MS = [500, 1000, 2000];

/** What the process gives the CLI: streams and environment (tests pass their own). */
export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  /** For questions on a terminal (`config reset`); without it nothing is asked. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** The global options every command accepts. */
interface GlobalOptions {
  config?: string;
  project?: string;
  color: boolean;
}

/**
 * Everything a command needs: the config file, the chosen project, an `OrraClient` for its server,
 * and the output. Built lazily, so `orra --help` never touches the config file.
 */
export class CliContext {
  readonly out: Output;
  /** The server the command talks to, once known (names it in "cannot reach" errors). */
  server: string | undefined;
  private configFile: ConfigFile | undefined;

  constructor(
    readonly io: CliIo,
    private readonly globals: GlobalOptions,
  ) {
    this.out = new Output(io.stdout, io.stderr, shouldColor(io.stdout, io.env, globals.color));
  }

  /** The context of a running command (reads the global options from the root program). */
  static of(command: Command, io: CliIo): CliContext {
    return new CliContext(io, command.optsWithGlobals<GlobalOptions>());
  }

  /** The path of the config file in use. */
  get configPath(): string {
    return resolveConfigPath(this.globals.config, this.io.env);
  }

  /** The config file (read once). */
  get config(): ConfigFile {
    this.configFile ??= ConfigFile.load(this.configPath);
    return this.configFile;
  }

  /** Replaces the config file with `{}` (orra's `config reset`). */
  resetConfig(): void {
    this.configFile = ConfigFile.empty(this.configPath);
    this.configFile.save();
  }

  /** The project named by `-p`, else the current one. */
  project(): { name: string; project: ProjectEntry } {
    const chosen = this.config.resolveProject(this.globals.project);
    this.server = chosen.project.server_addr;
    return chosen;
  }

  /** A client for the chosen project's server, authenticated with its key. */
  client(): OrraClient {
    const { project } = this.project();
    return this.clientFor(project.server_addr, project.cli_auth);
  }

  /** A client for any server (used before a project exists). */
  clientFor(server: string, apiKey?: string): OrraClient {
    this.server = server;
    return new OrraClient({
      baseUrl: server,
      apiKey,
      timeoutMs: CLIENT_TIMEOUT_MS,
      submitRetryDelaysMs: SUBMIT_RETRY_DELAYS_MS,
      client: 'cli',
    });
  }

  /**
   * Polls the engine with `read` until `onValue` returns true or the user stops it (see poll.ts), noting
   * on stderr when the engine cannot be reached and when it answers again; other failures end it as
   * `call` reports them.
   */
  async watch<T>(
    read: () => Promise<T>,
    onValue: (value: T) => boolean | void,
    hints: ErrorHints = {},
  ): Promise<PollEnd> {
    try {
      return await poll(read, onValue, {
        onReachability: (isReachable, err) =>
          this.out.note(
            isReachable
              ? `The engine at ${this.server} answers again`
              : `${describeError(err, this.server).message}; trying again every ${POLL_INTERVAL_MS / 1000}s`,
          ),
      });
    } catch (err) {
      throw describeError(err, this.server, hints);
    }
  }

  /** Runs an API call, turning its failure into a one-line `CliError` with a hint. */
  async call<T>(fn: () => Promise<T>, hints: ErrorHints = {}): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw describeError(err, this.server, hints);
    }
  }
}
