import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Register } from '../program.js';
import { examples } from './examples.js';

/** This CLI's version, from its package.json (dist/commands/ → ../../package.json). */
export const CLI_VERSION: string = (() => {
  try {
    return (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
})();

/** `orra version`: the client's version and the server's (orra's CLI never asked the server). */
export const registerVersion: Register = (program, context) => {
  const version = program
    .command('version')
    .description("Print the client's version and the engine's")
    .option('--server <url>', "ask this engine instead of the current project's")
    .option('--json', 'print both versions as JSON')
    .action(async (opts: { server?: string; json?: boolean }, command) => {
      const ctx = context(command);
      const hasProject = Boolean(
        ctx.config.data.current_project ||
        (command as Command).optsWithGlobals<{ project?: string }>().project,
      );
      const server = opts.server ?? (hasProject ? ctx.project().project.server_addr : undefined);
      if (!opts.json) ctx.out.line(`Client Version: v${CLI_VERSION}`);
      if (!server) {
        if (opts.json) return ctx.out.json({ client: CLI_VERSION, server: null });
        return ctx.out.line(
          "Server Version: unknown (no project configured; add one with 'orra projects add NAME --server URL')",
        );
      }
      const serverVersion = await ctx.call(() => ctx.clientFor(server).serverVersion());
      if (opts.json) return ctx.out.json({ client: CLI_VERSION, server: serverVersion, serverUrl: server });
      ctx.out.line(
        `Server Version: ${serverVersion ? `v${serverVersion}` : 'unknown (the engine sent no version header)'} (${server})`,
      );
    });
  examples(version, ['orra version', 'orra version --server http://localhost:8005 --json']);
};
