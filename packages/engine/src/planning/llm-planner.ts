import { ERROR_CODES } from '@orra/protocol';
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { EngineError } from '../errors/engine-error.js';
import type { Logger } from '../logging/logger.js';
import { buildPlanPrompt, type PromptFeedback } from './llm-prompt.js';
import { extractPlanJson } from './llm-reply.js';
import type { PlanContext, PlanResult, Planner } from './planner.js';

export interface LlmPlannerOptions {
  /** Any OpenAI-compatible API, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  baseUrl: string;
  model: string;
  apiKey: string | undefined;
  /** Budget for the whole planning of one request, across all attempts. */
  timeoutMs: number;
  /** orra: 3 (the first try and two retries). */
  maxAttempts?: number;
  now?: () => number;
}

/**
 * Plans with a chat-completions model: one user message per attempt (`buildPlanPrompt`), the plan taken
 * from the reply's JSON block and checked by the plan validator. A reply without usable JSON or with an
 * invalid plan is retried — up to three attempts — with the problems fed back in the next prompt from
 * the second attempt on (orra feeds them back only on the third). A `final` task is the model's verdict
 * that the action cannot be done: not actionable, no retry.
 *
 * The whole planning shares one time budget, so a request never waits longer than `timeoutMs` on the
 * model; the OpenAI client's own retries are off (maxRetries 0) to keep that bound exact.
 */
export class LlmPlanner implements Planner {
  readonly name = 'llm';
  private readonly client: OpenAI;
  private readonly maxAttempts: number;
  private readonly now: () => number;

  constructor(
    private readonly options: LlmPlannerOptions,
    private readonly log: Logger,
  ) {
    // Local OpenAI-compatible servers take no key, but the client refuses to start without one.
    this.client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey ?? 'no-key', maxRetries: 0 });
    this.maxAttempts = options.maxAttempts ?? 3;
    this.now = options.now ?? Date.now;
  }

  async plan(ctx: PlanContext): Promise<PlanResult> {
    const deadline = this.now() + this.options.timeoutMs;
    let feedback: PromptFeedback | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const prompt = buildPlanPrompt({ action: ctx.action, data: ctx.data, services: ctx.services, match: ctx.match, feedback });
      const reply = await this.complete(prompt, deadline, attempt, ctx);
      const extracted = extractPlanJson(reply);
      const check = extracted.kind === 'json' ? ctx.check(extracted.value) : undefined;
      if (check?.kind === 'valid') return { kind: 'plan', plan: extracted.kind === 'json' ? extracted.value : null, attempts: attempt };
      if (check?.kind === 'not_actionable') return { kind: 'not_actionable', reason: check.reason, attempts: attempt };
      const problems = extracted.kind === 'unusable' ? [extracted.problem] : (check?.kind === 'invalid' ? check.problems : []);
      this.log.info({ ...ctx.logFields, projectId: ctx.projectId, attempt, problems }, 'LLM plan rejected');
      feedback = { attempt, reply, problems };
    }
    throw new EngineError(
      ERROR_CODES.PLANNING_FAILED,
      `the LLM planner gave no valid plan in ${this.maxAttempts} attempts; the last one had these problems: ${feedback?.problems.join('; ')}`,
    );
  }

  /** One chat completion within what is left of the budget; transport failures become 502/504 errors. */
  private async complete(prompt: string, deadline: number, attempt: number, ctx: PlanContext): Promise<string> {
    const remainingMs = deadline - this.now();
    if (remainingMs <= 0) throw this.timeout(attempt);
    const startedAt = this.now();
    try {
      const temperature = temperatureFor(this.options.model);
      const call = () =>
        this.client.chat.completions.create(
          {
            model: this.options.model,
            messages: [{ role: 'user', content: prompt }],
            ...(temperature === undefined ? {} : { temperature }),
          },
          { timeout: remainingMs, maxRetries: 0 },
        );
      // A client span per model call, named and described as the GenAI semantic conventions say (no
      // prompt or reply in it: they hold the action's data).
      const completion = ctx.trace
        ? await ctx.trace.client(
            `chat ${this.options.model}`,
            { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': this.options.model, 'orra.planner.attempt': attempt },
            call,
            (c) => ({
              ...(c.model ? { 'gen_ai.response.model': c.model } : {}),
              ...(c.usage ? { 'gen_ai.usage.input_tokens': c.usage.prompt_tokens, 'gen_ai.usage.output_tokens': c.usage.completion_tokens } : {}),
            }),
          )
        : await call();
      this.log.debug({ ...ctx.logFields, attempt, latencyMs: this.now() - startedAt, usage: completion.usage }, 'LLM replied');
      return completion.choices?.[0]?.message?.content ?? '';
    } catch (err) {
      if (err instanceof APIConnectionTimeoutError || err instanceof APIUserAbortError) throw this.timeout(attempt, err);
      const where = `${this.options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
      if (err instanceof APIError && err.status !== undefined) {
        throw new EngineError(ERROR_CODES.PLANNER_UNAVAILABLE, `the LLM endpoint ${where} answered ${err.status}: ${err.message}`, { cause: err });
      }
      const reason = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new EngineError(ERROR_CODES.PLANNER_UNAVAILABLE, `cannot reach the LLM endpoint ${where}: ${reason}`, { cause: err });
    }
  }

  private timeout(attempt: number, cause?: unknown): EngineError {
    return new EngineError(
      ERROR_CODES.PLANNER_TIMEOUT,
      `the LLM planner did not finish within ${this.options.timeoutMs} ms (ORRA_LLM_TIMEOUT_MS; attempt ${attempt} of ${this.maxAttempts})`,
      { cause },
    );
  }
}

/**
 * Low temperature for stable plans. Reasoning models (o1, o3, o4, gpt-5 …) accept only their default,
 * so none is sent to them.
 */
function temperatureFor(model: string): number | undefined {
  return /(^|\/)(o\d|gpt-5)/i.test(model) ? undefined : 0.1;
}
