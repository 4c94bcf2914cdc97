import { parseArgs } from 'node:util';

/** What `npm run demo -- …` was asked to do. */
export interface DemoOptions {
  /** Leave the engine, the shop services and the webhook receiver running until Ctrl-C (or SIGTERM). */
  isKeep: boolean;
  /** Keep the demo's directory (the engine's database, the CLI config) when the demo ends. */
  isKeepFiles: boolean;
  /** The engine's port: 8005 with `--keep` (to explore), any free one without. */
  port: number;
  isHelp: boolean;
}

export const DEMO_USAGE = `usage: npm run demo [-- [--keep] [--keep-files] [--port N]]

  --keep        leave the engine, the shop services and the webhook receiver running (engine on
                port 8005) and print commands to explore them; Ctrl-C (or SIGTERM) stops them
  --keep-files  keep the demo's directory when it ends (the engine's SQLite database and the CLI
                config, which holds the project's API key); without it the directory is deleted
  --port N      the engine's port (default: 8005 with --keep, any free port without)
  --help        this text`;

/** Parses the demo's arguments; throws an Error naming the bad one (the caller prints the usage). */
export function parseDemoArgs(args: string[]): DemoOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      keep: { type: 'boolean', default: false },
      'keep-files': { type: 'boolean', default: false },
      port: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  let port = values.keep ? 8005 : 0;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65_535) {
      throw new Error(`--port must be a port number from 0 to 65535 (got ${JSON.stringify(values.port)})`);
    }
  }
  return { isKeep: values.keep, isKeepFiles: values['keep-files'], port, isHelp: values.help };
}
