import { spawn } from 'node:child_process';
import type { Register } from '../program.js';
import { examples } from './examples.js';

/** The platform's "open this URL" command, or undefined where there is none we trust. */
function opener(): string | undefined {
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'linux') return 'xdg-open';
  return undefined;
}

/**
 * `orra console`: prints a one-time sign-in link for the operator console (valid 60 s, works once) and,
 * on a terminal with a desktop, opens it, so nobody pastes a key into a browser.
 */
export const registerConsole: Register = (program, context) => {
  const command = program
    .command('console')
    .description("Open the engine's operator console: prints a sign-in link that works once, within 60 s")
    .option('--no-open', 'only print the link, do not open a browser')
    .option('--json', 'print the link as JSON')
    .action(async (opts: { open: boolean; json?: boolean }, cmd) => {
      const ctx = context(cmd);
      const link = await ctx.call(() => ctx.client().createConsoleLink());
      if (opts.json) return ctx.out.json(link);
      ctx.out.line('Sign in to the console (the link works once, within 60 s):');
      ctx.out.line(`  ${link.url}`);
      const open = opener();
      const hasDesktop = process.platform === 'darwin' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
      if (opts.open && open && hasDesktop && process.stdout.isTTY) {
        // Best effort: a missing opener must not fail the command, the link is printed above.
        const child = spawn(open, [link.url], { detached: true, stdio: 'ignore' });
        child.on('error', () => undefined);
        child.unref();
      }
    });
  examples(command, ['orra console', 'orra console --no-open', 'orra -p prod console --json']);
};
