import { CliError } from '../cli-error.js';
import type { Register } from '../program.js';
import { examples } from './examples.js';

/** `orra api-keys gen|ls`: extra project keys (for services), named and kept in the config file. */
export const registerApiKeys: Register = (program, context) => {
  const keys = program.command('api-keys').description('Create API keys for your services and agents');
  examples(keys, ['orra api-keys gen inventory-service', 'orra api-keys ls']);

  const gen = keys
    .command('gen')
    .argument('<name>', 'a name to find the key by later')
    .description('Create a new API key for the project')
    .option('--read-only', 'a key that may look but not change anything (role "read"): for dashboards and the console')
    .option('--json', 'print the key as JSON')
    .action(async (name: string, opts: { json?: boolean; readOnly?: boolean }, command) => {
      const ctx = context(command);
      const { name: projectName, project } = ctx.project();
      if (project.api_key?.[name]) {
        throw new CliError(
          `project ${projectName} already has an API key named '${name}'; pick another name or see 'orra api-keys ls'`,
        );
      }
      const role = opts.readOnly ? 'read' : 'operate';
      const { apiKey } = await ctx.call(() => ctx.client().createApiKey({ role, label: name }));
      project.api_key = { ...(project.api_key ?? {}), [name]: apiKey };
      ctx.config.save();
      if (opts.json) return ctx.out.json({ name, apiKey, project: projectName, role });
      ctx.out.line(`New ${opts.readOnly ? 'read-only ' : ''}API key for project ${projectName}:`);
      ctx.out.line(`- ${name}`);
      ctx.out.line(`  KEY: ${apiKey}`);
    });
  examples(gen, ['orra api-keys gen inventory-service', 'orra api-keys gen payments --json', 'orra api-keys gen dashboard --read-only']);

  const ls = keys
    .command('ls')
    .alias('list')
    .description('List the API keys created with this CLI')
    .option('--json', 'print the keys as JSON')
    .action((opts: { json?: boolean }, command) => {
      const ctx = context(command);
      const { name: projectName, project } = ctx.project();
      const entries = Object.entries(project.api_key ?? {});
      if (opts.json) return ctx.out.json(entries.map(([name, apiKey]) => ({ name, apiKey })));
      if (entries.length === 0) {
        return ctx.out.line(
          `No API keys yet for project ${projectName}; create one with 'orra api-keys gen NAME'`,
        );
      }
      ctx.out.line(`API keys for project ${projectName}:`);
      ctx.out.line();
      for (const [name, key] of entries) {
        ctx.out.line(`- ${name}`);
        ctx.out.line(`  KEY: ${key}`);
      }
    });
  examples(ls, ['orra api-keys ls', 'orra -p prod api-keys ls --json']);
};
