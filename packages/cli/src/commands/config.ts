import type { Register } from '../program.js';
import { examples } from './examples.js';

/** `orra config reset`: forget every project (the engine keeps them). */
export const registerConfig: Register = (program, context) => {
  const config = program.command('config').description('Manage the CLI config file');
  examples(config, ['orra config reset']);
  const reset = config
    .command('reset')
    .description('Empty the config file (projects, keys and webhooks saved by this CLI)')
    .action((_opts, command) => {
      const ctx = context(command);
      // Reset must work even when the file is unreadable, so it does not load it first.
      const path = ctx.configPath;
      ctx.resetConfig();
      ctx.out.line(`Config successfully reset, path: ${path}`);
    });
  examples(reset, ['orra config reset', 'orra --config ./orra.json config reset']);
};
