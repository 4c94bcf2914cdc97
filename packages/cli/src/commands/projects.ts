import { projectNameKey, projectNameProblem } from '@orra/protocol';
import { Option } from 'commander';
import { CliError, usageError } from '../cli-error.js';
import { DEFAULT_SERVER } from '../config-file.js';
import { shellQuote } from '../shell-quote.js';
import type { Register } from '../program.js';
import { examples } from './examples.js';

/** `orra projects add|ls|use`: projects live on the server; the CLI keeps their id, key and server locally. */
export const registerProjects: Register = (program, context) => {
  const projects = program.command('projects').description('Add projects and choose the current one');
  examples(projects, [
    'orra projects add my-app --server http://localhost:8005',
    'orra projects ls',
    'orra projects use my-app',
  ]);

  const add = projects
    .command('add')
    .argument('<name>', 'a name for the project (used with -p and projects use)')
    .description('Register a new project on the engine and save its API key in the config')
    .option('--server <url>', 'the engine address', DEFAULT_SERVER)
    .addOption(
      new Option('--admin-token <token>', 'admin token, for engines not on loopback').env('ORRA_ADMIN_TOKEN'),
    )
    .option('--json', 'print the project as JSON')
    .action(async (given: string, opts: { server: string; adminToken?: string; json?: boolean }, command) => {
      const ctx = context(command);
      // The engine refuses the same names (and trims the same way); checking here first saves a round
      // trip and keeps a usage error an exit 2.
      const problem = projectNameProblem(given);
      if (problem) throw usageError(`project name ${JSON.stringify(given)} ${problem}`);
      const name = given.trim();
      const taken = ctx.config.projectNames.find((n) => projectNameKey(n) === projectNameKey(name));
      if (taken !== undefined) {
        throw new CliError(
          `project '${taken}' already exists in ${ctx.configPath} (names are compared ignoring case); pick another name or see 'orra projects ls'`,
        );
      }
      const server = normalizeServer(opts.server);
      const client = ctx.clientFor(server);
      const created = await ctx.call(() =>
        client.registerProject({ name, createdAt: new Date().toISOString() } as { name: string }, {
          bearer: opts.adminToken,
        }),
      );
      ctx.config.setProject(name, { id: created.id, cli_auth: created.apiKey, server_addr: server });
      ctx.config.save();
      if (opts.json)
        return ctx.out.json({
          name,
          id: created.id,
          server,
          current: ctx.config.data.current_project === name,
        });
      ctx.out.success(`Project ${name} added successfully`);
      ctx.out.line(`  ID:     ${created.id}`);
      ctx.out.line(`  Server: ${server}`);
      ctx.out.line();
      ctx.out.line('Next:');
      ctx.out.line('  orra webhooks add URL             receive orchestration results');
      ctx.out.line('  orra comp-fail webhooks add URL   be told when a compensation fails');
      if (ctx.config.data.current_project !== name)
        ctx.out.line(`  orra projects use ${shellQuote(name)}         make it the current project`);
    });
  examples(add, [
    'orra projects add my-app',
    'orra projects add prod --server https://orra.example.com --admin-token $TOKEN',
  ]);

  const ls = projects
    .command('ls')
    .alias('list')
    .description('List the projects in the config file')
    .option('--json', 'print the projects as JSON (without API keys)')
    .action((opts: { json?: boolean }, command) => {
      const ctx = context(command);
      const { config } = ctx;
      const current = config.data.current_project;
      if (opts.json) {
        return ctx.out.json(
          config.projectNames.map((name) => {
            const p = config.project(name);
            return { name, id: p?.id, server: p?.server_addr, current: name === current };
          }),
        );
      }
      if (config.projectNames.length === 0) {
        return ctx.out.line("No projects yet; add one with 'orra projects add NAME --server URL'");
      }
      ctx.out.line(`Current project: ${current ?? '(none)'}`);
      ctx.out.line();
      for (const name of config.projectNames) {
        const p = config.project(name);
        ctx.out.line(
          `${name === current ? '*' : ' '} ${name === current ? ctx.out.paint(name, 'bold') : name}`,
        );
        ctx.out.line(`    ID:     ${p?.id ?? ''}`);
        ctx.out.line(`    Server: ${p?.server_addr ?? ''}`);
      }
    });
  examples(ls, ['orra projects ls', 'orra projects ls --json']);

  const use = projects
    .command('use')
    .argument('<name>', 'a project from orra projects ls')
    .description('Make a project the current one')
    .action((name: string, _opts, command) => {
      const ctx = context(command);
      ctx.config.use(name);
      ctx.config.save();
      ctx.out.line(`Now using project: ${name}`);
    });
  examples(use, ['orra projects use my-app']);
};

/** Validates the server address and drops a trailing slash. */
function normalizeServer(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`--server ${text} is not a URL; use e.g. http://localhost:8005`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`--server ${text} must be an http or https URL`);
  return text.replace(/\/+$/, '');
}
