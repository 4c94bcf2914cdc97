import { readFileSync } from 'node:fs';
import type { GroundingSpecIn } from '@orra/protocol';
import { OrraApiError } from '@orra/sdk';
import { parse as parseYaml } from 'yaml';
import type { CliContext } from '../cli-context.js';
import { CliError, usageError } from '../cli-error.js';
import type { Register } from '../program.js';
import { examples } from './examples.js';

/** `orra grounding apply|ls|rm`: the domain examples the planner plans from (YAML in, JSON on the wire). */
export const registerGrounding: Register = (program, context) => {
  const grounding = program
    .command('grounding')
    .description('Manage grounding specs: the actions your project supports');

  examples(grounding, [
    'orra grounding apply -f customer-support.grounding.yaml',
    'orra grounding ls',
    'orra grounding rm customer-support',
  ]);

  const apply = grounding
    .command('apply')
    .description('Apply a grounding spec from a YAML (or JSON) file; a new version replaces the old one')
    .requiredOption('-f, --filename <file>', 'the spec file')
    .option('--json', 'print the applied spec as JSON')
    .action(async (opts: { filename: string; json?: boolean }, command) => {
      const ctx = context(command);
      const spec = readSpec(opts.filename);
      const applied = await groundingCall(ctx, () => ctx.client().applyGrounding(spec), spec);
      if (opts.json) return ctx.out.json(applied);
      ctx.out.success(`Applied grounding spec from ${opts.filename}`);
      ctx.out.line(`  Name:      ${applied.name}`);
      ctx.out.line(`  Version:   ${applied.version}`);
      ctx.out.line(`  Use cases: ${applied.useCases.length}`);
    });
  examples(apply, ['orra grounding apply -f customer-support.grounding.yaml'], GROUNDING_EXAMPLE);

  const ls = grounding
    .command('ls')
    .alias('list')
    .description("List the project's grounding specs")
    .option('--json', 'print the specs as JSON')
    .action(async (opts: { json?: boolean }, command) => {
      const ctx = context(command);
      const specs = await groundingCall(ctx, () => ctx.client().listGroundings());
      if (opts.json) return ctx.out.json(specs);
      if (specs.length === 0)
        return ctx.out.line("No grounding specs found; apply one with 'orra grounding apply -f FILE'");
      const columns = [
        { header: 'NAME', width: 30 },
        { header: 'DOMAIN', width: 30 },
        { header: 'VERSION', width: 15 },
        { header: 'USE-CASES', width: 10 },
      ];
      ctx.out.section(
        `Grounding Specs (${specs.length})`,
        ctx.out.tableLines(
          columns,
          specs.map((s) => [s.name, s.domain, s.version, String(s.useCases.length)]),
        ),
      );
    });
  examples(ls, ['orra grounding ls', 'orra grounding ls --json']);

  const rm = grounding
    .command('rm')
    .alias('remove')
    .argument('[name]', 'the spec to remove')
    .description('Remove a grounding spec, or all of them with --all')
    .option('--all', 'remove every grounding spec of the project')
    .action(async (name: string | undefined, opts: { all?: boolean }, command) => {
      if (Boolean(name) === Boolean(opts.all)) throw usageError('give either a spec NAME or --all');
      const ctx = context(command);
      await groundingCall(ctx, () => ctx.client().removeGrounding(opts.all ? undefined : name));
      ctx.out.success(opts.all ? 'Removed all grounding specs' : `Removed grounding spec '${name}'`);
    });
  examples(rm, ['orra grounding rm customer-support', 'orra grounding rm --all']);
};

const GROUNDING_EXAMPLE = `A spec file:
  name: customer-support
  domain: e-commerce
  version: "1.0"
  use-cases:
    - action: "Process refund for order {orderId}"
      params: { orderId: ORD123 }
      capabilities: ["Look up the order", "Refund the payment"]
      intent: "Customer wants their money back"
  constraints: ["Refund at most the amount paid"]`;

/** Reads a spec; orra's YAML key `use-cases` becomes the wire's `useCases`. */
function readSpec(path: string): GroundingSpecIn {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CliError(`${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CliError(`${path} must hold one grounding spec (name, domain, version, use-cases)`);
  }
  const { 'use-cases': useCases, ...rest } = doc as Record<string, unknown>;
  return {
    ...rest,
    ...(useCases !== undefined && rest.useCases === undefined ? { useCases } : {}),
  } as unknown as GroundingSpecIn;
}

/** Grounding-specific messages: engines without the routes, and orra's friendly "already exists". */
async function groundingCall<T>(ctx: CliContext, fn: () => Promise<T>, spec?: GroundingSpecIn): Promise<T> {
  return ctx.call(async () => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof OrraApiError && err.status === 404 && err.code === 'Orra:RouteNotFound') {
        throw new CliError(
          'grounding specs are not available on this engine (it has no /groundings routes); upgrade the engine to use them',
        );
      }
      if (
        err instanceof OrraApiError &&
        (err.code === 'Orra:GroundingVersionExists' || /already has/.test(err.message)) &&
        spec
      ) {
        throw new CliError(
          `a grounding spec named '${spec.name}' with version ${spec.version} already exists; change the version in the file to replace it`,
        );
      }
      throw err;
    }
  });
}
