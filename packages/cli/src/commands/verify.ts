import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IDEMPOTENCY_KEY_MAX_LENGTH, parseGoDuration, type DataField, type OrchestrationIn, type PlanIn } from '@orra/protocol';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { CliError, usageError } from '../cli-error.js';
import { collectData } from '../data-flag.js';
import type { Register } from '../program.js';
import { examples } from './examples.js';
import { startWebhookListener } from './verify-webhooks.js';
import { waitForOutcome } from './verify-wait.js';

interface RunOptions {
  data?: DataField[];
  timeout?: string;
  healthCheckGracePeriod?: string;
  quiet?: boolean;
  plan?: string;
  wait?: boolean;
  json?: boolean;
  idempotencyKey?: string;
}

/** `orra verify run` (orchestrate an action) and `orra verify webhooks start` (a local receiver). */
export const registerVerify: Register = (program, context) => {
  const verify = program
    .command('verify')
    .description('Try the project end to end: run an action, receive its webhooks');

  examples(verify, [
    'orra verify run "Estimate delivery for order ORD123" -d orderId:ORD123',
    'orra verify webhooks start http://localhost:8888/webhooks',
  ]);
  const run = verify
    .command('run')
    .argument('<action>', 'what to do, in plain words')
    .description("Orchestrate an action with the project's services")
    .option(
      '-d, --data <field:value>',
      'action data; repeat for more (a,b is a list; {..} or [..] is JSON)',
      collectData,
    )
    .option('-t, --timeout <duration>', 'per-attempt task timeout, e.g. 30s (default 30s)', goDuration)
    .option(
      '-g, --health-check-grace-period <duration>',
      'how long a task waits for its service to come back, e.g. 10m',
      goDuration,
    )
    .option('--plan <file>', 'a JSON execution plan to run as given instead of asking the planner')
    .option('-q, --quiet', 'skip the explanation of what happens next')
    .option('--wait', 'wait for the outcome and exit with it: 0 completed, 3 failed, 4 aborted')
    .option('--json', 'print the orchestration as JSON (with --wait: once it has ended)')
    .option(
      '--idempotency-key <key>',
      'the Idempotency-Key to send (default: a new random UUID); repeat a run with the same key and it runs once',
      idempotencyKey,
    )
    .action(async (action: string, opts: RunOptions, command: Command) => {
      const ctx = context(command);
      const { name, project } = ctx.project();
      const body: OrchestrationIn = {
        action: { content: action },
        data: opts.data && opts.data.length > 0 ? opts.data : null,
        ...(opts.timeout ? { timeout: opts.timeout } : {}),
        ...(opts.healthCheckGracePeriod ? { healthCheckGracePeriod: opts.healthCheckGracePeriod } : {}),
        ...(opts.plan ? { plan: readPlan(opts.plan) } : {}),
      };
      // The key (a new UUID unless given) goes with the submission and its retries after a cut connection.
      const idempotencyKey = opts.idempotencyKey ?? randomUUID();
      const orchestration = await ctx.call(() => ctx.client().createOrchestration(body, { idempotencyKey }));
      if (opts.json) {
        if (opts.wait) return waitForOutcome(ctx, orchestration.id, true);
        return ctx.out.json(orchestration);
      }
      ctx.out.line(`Project: ${name}`);
      ctx.out.line(`Server:  ${project.server_addr}`);
      ctx.out.line();
      ctx.out.success('Action Orchestrated!');
      ctx.out.line(`Action: ${action}`);
      ctx.out.line(`Created orchestration: ${orchestration.id}`);
      if (orchestration.planner)
        ctx.out.line(`Planned by: ${orchestration.planner} (${orchestration.plan?.tasks.length ?? 0} tasks)`);
      const useCase = orchestration.useCase;
      if (useCase)
        ctx.out.line(`Use case:   ${useCase.action} (grounding spec ${useCase.grounding}, score ${useCase.score})`);
      ctx.out.line();
      ctx.out.line(`Inspect progress with: orra inspect ${orchestration.id}`);
      if (!opts.quiet) explain(ctx);
      if (!opts.wait) return;
      ctx.out.line();
      await waitForOutcome(ctx, orchestration.id, false);
    });
  examples(run, [
    'orra verify run "Estimate delivery for order ORD123" -d orderId:ORD123',
    'orra verify run "Notify customers" -d ids:C1,C2,C3 -d \'prefs:{"channel":"email"}\' -t 45s',
    'orra verify run "Echo hi" --plan plan.json -d message:hi -q',
    'orra verify run "Estimate delivery for order ORD123" -d orderId:ORD123 -q --wait',
  ]);

  const hooks = verify
    .command('webhooks')
    .description('Receive webhooks locally to see what the engine sends');
  examples(hooks, ['orra verify webhooks start http://localhost:8888/webhooks']);
  const start = hooks
    .command('start')
    .argument('<url>', 'the webhook URL to serve (its port and path), e.g. http://localhost:8888/webhooks')
    .description('Listen on the URL, print each event, check its signature, answer 200; Ctrl-C stops')
    .option(
      '--secret <whsec>',
      "the endpoint's signing secret (default: looked up from the project's webhooks)",
    )
    .option(
      '--listen <address>',
      "listen on this address instead of the URL's host (e.g. 0.0.0.0: every interface, for an engine in a container)",
    )
    .option('--json', 'print each event as one JSON line')
    .action(
      async (url: string, opts: { secret?: string; json?: boolean; listen?: string }, command: Command) => {
        await startWebhookListener(context(command), url, opts);
      },
    );
  examples(
    start,
    [
      'orra verify webhooks start http://localhost:8888/webhooks',
      'orra verify webhooks start http://localhost:3000/hooks --secret whsec_…',
    ],
    'Add the URL first (orra webhooks add URL) so the engine sends to it; events then print as they arrive.',
  );
};

/** What happens after `verify run` (left out with -q). */
function explain(ctx: CliContext): void {
  ctx.out.line();
  ctx.out.line("What's happening:");
  ctx.out.line('  • The engine runs each task of the plan on its service as soon as its inputs are ready.');
  ctx.out.line(
    '  • Failed tasks are retried; if one fails for good, completed revertible tasks are compensated.',
  );
  ctx.out.line(
    "  • The outcome goes to the project's webhooks; 'orra ps' lists it, 'orra inspect ID -d' shows each task.",
  );
}

function goDuration(value: string): string {
  const ms = parseGoDuration(value);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError('Use a positive duration such as 30s, 1m30s or 2h');
  return value.trim();
}

/** Reads `--plan FILE`: `{"tasks": [...], "parallel_groups"?: [...]}`, validated by the engine. */
function readPlan(path: string): PlanIn {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read the plan file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch (err) {
    throw usageError(`the plan file ${path} is not JSON: ${(err as Error).message}`);
  }
  if (plan === null || typeof plan !== 'object' || !Array.isArray((plan as PlanIn).tasks)) {
    throw usageError(
      `the plan file ${path} needs a "tasks" array, e.g. {"tasks":[{"id":"task1","service":"s_…","input":{…}}]}`,
    );
  }
  return plan as PlanIn;
}

function idempotencyKey(text: string): string {
  if (text.trim() === '') throw new InvalidArgumentError('must not be empty');
  if (text.length > IDEMPOTENCY_KEY_MAX_LENGTH)
    throw new InvalidArgumentError(`must be at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`);
  return text;
}
