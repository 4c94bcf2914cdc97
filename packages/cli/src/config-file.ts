import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './cli-error.js';

/** One project as orra's CLI stores it (snake_case keys, so orra's Go CLI can read the same file). */
export interface ProjectEntry {
  id: string;
  /** The project's primary API key: the CLI's credential. */
  cli_auth: string;
  /** Extra keys made with `orra api-keys gen NAME`, by name (orra: `api_key`, singular). */
  api_key?: Record<string, string>;
  server_addr: string;
  /** URLs added through this CLI; the server's list (`orra webhooks ls`) is the source of truth. */
  webhooks?: string[];
  compensation_failure_webhooks?: string[];
}

/** `~/.orra/config.json` in orra's shape. */
export interface ConfigData {
  current_project?: string;
  projects?: Record<string, ProjectEntry>;
}

/** The default engine address, as orra's. */
export const DEFAULT_SERVER = 'http://localhost:8005';

/** Where the config lives: `--config`, else `ORRA_CONFIG`, else `~/.orra/config.json`. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  if (env.ORRA_CONFIG) return env.ORRA_CONFIG;
  return join(env.HOME || homedir(), '.orra', 'config.json');
}

/**
 * The CLI's config file. Unlike orra's CLI, which rewrites the file on every command, it is written
 * only when something changed, and with mode 0600 because it holds API keys (orra: 0666).
 */
export class ConfigFile {
  private constructor(
    readonly path: string,
    readonly data: ConfigData,
  ) {}

  /** An empty config at `path` (for `config reset`, which must work even on a broken file). */
  static empty(path: string): ConfigFile {
    return new ConfigFile(path, {});
  }

  /** Reads the file; a missing file is an empty config, an unreadable or invalid one an error. */
  static load(path: string): ConfigFile {
    if (!existsSync(path)) return new ConfigFile(path, {});
    let parsed: unknown;
    try {
      const text = readFileSync(path, 'utf8');
      parsed = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      throw new CliError(
        `cannot read the config file ${path}: ${(err as Error).message}; fix it, or start afresh with 'orra config reset'`,
      );
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new CliError(
        `the config file ${path} is not a JSON object; start afresh with 'orra config reset'`,
      );
    }
    return new ConfigFile(path, parsed as ConfigData);
  }

  /** The project names, in insertion order. */
  get projectNames(): string[] {
    return Object.keys(this.data.projects ?? {});
  }

  /** A project by name, or undefined. */
  project(name: string): ProjectEntry | undefined {
    return Object.hasOwn(this.data.projects ?? {}, name) ? this.data.projects?.[name] : undefined;
  }

  /**
   * The project to act on: `-p NAME` when given, else the current one. Throws a message that says what
   * to do next when there is none.
   */
  resolveProject(name: string | undefined): { name: string; project: ProjectEntry } {
    const chosen = name ?? this.data.current_project;
    if (!chosen) {
      throw new CliError(
        `no project configured in ${this.path}; add one with 'orra projects add NAME --server URL'`,
      );
    }
    const project = this.project(chosen);
    if (!project) {
      const known = this.projectNames;
      throw new CliError(
        `no project named '${chosen}' in ${this.path}` +
          (known.length > 0
            ? ` (known: ${known.join(', ')}); see 'orra projects ls'`
            : "; add it with 'orra projects add NAME'"),
      );
    }
    return { name: chosen, project };
  }

  /** Adds or replaces a project; the first project becomes the current one. */
  setProject(name: string, project: ProjectEntry): void {
    this.data.projects = { ...(this.data.projects ?? {}), [name]: project };
    if (!this.data.current_project || !this.project(this.data.current_project))
      this.data.current_project = name;
  }

  /** Makes `name` the current project. */
  use(name: string): void {
    this.resolveProject(name);
    this.data.current_project = name;
  }

  /** Writes atomically (temp file + rename) so a crash never leaves half a config behind. */
  save(): void {
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
    chmodSync(this.path, 0o600);
  }
}
