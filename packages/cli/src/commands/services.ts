import type { ServiceDetailOut, Spec } from '@orra/protocol';
import type { CliContext } from '../cli-context.js';
import { relativeTime } from '../format.js';
import type { Cell } from '../output.js';
import type { Register } from '../program.js';
import { examples } from './examples.js';

/** `orra services ls|inspect` (ours): the ids a plan needs, and whether each service is connected. */
export const registerServices: Register = (program, context) => {
  const services = program
    .command('services')
    .description("List the project's services and agents: ids, schemas, connection state");
  examples(services, ['orra services ls', 'orra services inspect s_…']);

  const ls = services
    .command('ls')
    .alias('list')
    .description('List the services and agents of the project, with their ids and connection state')
    .option('--json', 'print them as JSON (with schemas)')
    .action(async (opts: { json?: boolean }, command) => {
      const ctx = context(command);
      const list = await ctx.call(() => ctx.client().listServices());
      if (opts.json) return ctx.out.json(list);
      if (list.length === 0) {
        return ctx.out.line(
          'No services yet; a service appears here once it registers with the SDK (initService or initAgent)',
        );
      }
      const columns = [
        { header: 'NAME', width: 20 },
        { header: 'ID', width: 30 },
        { header: 'KIND', width: 7 },
        { header: 'REVERTIBLE', width: 10 },
        { header: 'CONNECTION', width: 20 },
      ];
      ctx.out.section(
        `Services (${list.length})`,
        ctx.out.tableLines(
          columns,
          list.map((s) => [s.name, s.id, s.kind, s.revertible ? 'yes' : 'no', connectionCell(s)]),
        ),
      );
      ctx.out.line();
      ctx.out.line("Use a service's ID in a plan's tasks; see one with 'orra services inspect ID'");
    });
  examples(ls, ['orra services ls', 'orra services ls --json']);

  const inspect = services
    .command('inspect')
    .argument('<id>', 'a service or agent id (s_…) from orra services ls')
    .description('Show a service or agent: schemas, revertible, connection state and since when')
    .option('--json', 'print it as JSON')
    .action(async (id: string, opts: { json?: boolean }, command) => {
      const ctx = context(command);
      const s = await ctx.call(() => ctx.client().getService(id));
      if (opts.json) return ctx.out.json(s);
      printService(ctx, s);
    });
  examples(inspect, ['orra services inspect s_ksqpxlzdbrnvvqqzwrltlcrguvfz']);
};

/** `● connected 5m` / `○ disconnected 2h` / `○ not connected`. */
function connectionCell(s: ServiceDetailOut): Cell {
  const { state, since } = s.connection;
  const age = since ? ` ${relativeTime(since)}` : '';
  if (state === 'connected') return { text: `● connected${age}`, tone: 'good' };
  return { text: since ? `○ disconnected${age}` : '○ not connected', tone: 'warn' };
}

function printService(ctx: CliContext, s: ServiceDetailOut): void {
  const { state, sockets, since } = s.connection;
  const connection =
    state === 'connected'
      ? `connected since ${since ?? '?'} (${sockets} socket${sockets === 1 ? '' : 's'})`
      : since
        ? `disconnected since ${since}`
        : 'not connected since the engine started';
  ctx.out.section(`${s.kind === 'agent' ? 'Agent' : 'Service'} ${s.name}`, [
    `ID:          ${s.id}`,
    `Description: ${s.description}`,
    `Revertible:  ${s.revertible ? 'yes' : 'no'}`,
    `Version:     ${s.version}`,
    `Connection:  ${ctx.out.cell({ text: connection, tone: state === 'connected' ? 'good' : 'warn' })}`,
    `Registered:  ${s.createdAt}`,
    '',
    'Input:',
    ...fieldLines(s.schema.input),
    'Output:',
    ...fieldLines(s.schema.output),
  ]);
}

/** `  orderId  string  required`: one line per property of an object schema. */
function fieldLines(spec: Spec): string[] {
  const required = new Set(spec.required ?? []);
  const props = Object.entries(spec.properties ?? {});
  if (props.length === 0) return [`  (${spec.type})`];
  const width = Math.max(...props.map(([name]) => name.length));
  return props.map(([name, p]) => {
    const type = p.type === 'array' && p.items ? `array of ${p.items.type}` : p.type;
    return `  ${name.padEnd(width)}  ${type}${required.has(name) ? '  required' : ''}`.trimEnd();
  });
}
