import { ERROR_CODES, type DataField } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { Logger } from '../logging/logger.js';
import { checkPlan, type ValidatedPlan } from '../orchestration/plan-validator.js';
import type { Store } from '../storage/store.js';
import type { TraceScope } from '../tracing/tracing.js';
import type { Planner, PlannerName } from './planner.js';
import { matchUseCase, type UseCaseMatch } from './use-case-matcher.js';

/**
 * What planning an action produced. `match` is the grounding use case the action was recognised as (none
 * when the project has no grounding specs, or the action matched none of them). Planner failures (LLM
 * timeouts, …) are thrown as EngineErrors.
 */
export type PlanningOutcome =
  | { kind: 'planned'; planner: PlannerName; plan: ValidatedPlan; match: UseCaseMatch | undefined }
  | { kind: 'not_actionable'; planner: PlannerName; reason: string; match: UseCaseMatch | undefined };

/**
 * Turns an action into a validated plan with the configured planner: the LLM planner when an LLM
 * endpoint is configured, otherwise the grounded planner. Grounding specs, once a project has any, are
 * a whitelist for both (as in orra): an action that matches none of their use cases is not actionable,
 * and no model is asked. Whatever the planner returns goes through the same validator as explicit plans.
 */
export class PlanningService {
  private readonly planner: Planner;

  constructor(
    private readonly store: Store,
    planners: { grounded: Planner; llm: Planner | undefined },
    private readonly log: Logger,
  ) {
    this.planner = planners.llm ?? planners.grounded;
  }

  /** `trace` is the request's planning span: its ids go on every log line about the request. */
  async plan(projectId: string, action: string, data: DataField[] | null, trace?: TraceScope): Promise<PlanningOutcome> {
    const logFields = trace?.logFields ?? {};
    const planner = this.planner.name;
    const [services, groundings] = await Promise.all([
      this.store.services.listByProject(projectId),
      this.store.groundings.listByProject(projectId),
    ]);
    if (planner === 'grounded' && groundings.length === 0) {
      throw new EngineError(
        ERROR_CODES.ACTION_CANNOT_EXECUTE,
        'no plan given and no planner can plan for this project: apply a grounding spec (POST /groundings, ' +
          '`orra grounding apply`), configure an LLM (LLM_API_BASE_URL and LLM_MODEL), or send an explicit "plan"',
        { param: 'plan' },
      );
    }
    if (services.length === 0) {
      throw new EngineError(ERROR_CODES.ACTION_CANNOT_EXECUTE, `no services are registered in project ${projectId}`);
    }
    let match: UseCaseMatch | undefined;
    if (groundings.length > 0) {
      const result = matchUseCase(action, data, groundings);
      if (result.kind === 'miss') {
        const c = result.closest;
        const closest = c
          ? `: closest use case "${c.action}" of grounding spec ${c.spec} (score ${c.score}) refused: ${c.reason}`
          : '';
        const reason = `the action matches no use case of the project's grounding specs${closest}`;
        return { kind: 'not_actionable', planner, reason, match };
      }
      match = result.match;
    }
    const byId = new Map(services.map((s) => [s.id, s]));
    const check = (raw: unknown) => checkPlan(raw, data, byId, planner);
    const result = await this.planner.plan({ projectId, action, data, services, groundings, match, check, logFields, ...(trace ? { trace } : {}) });
    if (result.kind === 'not_actionable') return { kind: 'not_actionable', planner, reason: result.reason, match };
    const checked = check(result.plan);
    if (checked.kind === 'valid') {
      this.log.debug({ ...logFields, projectId, planner, attempts: result.attempts, tasks: checked.plan.plan.tasks.length }, 'action planned');
      return { kind: 'planned', planner, plan: checked.plan, match };
    }
    if (checked.kind === 'not_actionable') return { kind: 'not_actionable', planner, reason: checked.reason, match };
    // A planner must only return plans that pass; this is a bug in it, so say so plainly.
    throw new EngineError(ERROR_CODES.INVALID_PLAN, `the ${planner} planner produced an invalid plan: ${checked.problems.join('; ')}`, {
      param: 'plan',
    });
  }
}
