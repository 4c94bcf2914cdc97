import type { DataField } from '@orra/protocol';
import type { PlanCheck } from '../orchestration/plan-validator.js';
import type { GroundingRecord, ServiceRecord } from '../storage/store.js';
import type { TraceScope } from '../tracing/tracing.js';
import type { UseCaseMatch } from './use-case-matcher.js';

/** What a planner gets: the request, the project's services and groundings, and the one validator. */
export interface PlanContext {
  projectId: string;
  action: string;
  data: DataField[] | null;
  /** Every registered service of the project, connected or not, sorted by id. */
  services: readonly ServiceRecord[];
  /** The project's grounding specs, sorted by name. */
  groundings: readonly GroundingRecord[];
  /** The use case the action matched; absent only when the project has no grounding specs. */
  match: UseCaseMatch | undefined;
  /** Runs the plan validator with this planner's rules; planners that can retry react to the problems. */
  check(rawPlan: unknown): PlanCheck;
  /** Fields for the planner's log lines about this request (the trace's `trace_id`/`span_id` when traced). */
  logFields?: Readonly<Record<string, string>>;
  /** The request's planning span, for client spans of calls out (an LLM). */
  trace?: TraceScope;
}

/**
 * A raw plan in orra's LLM shape: `{tasks: [{id: "task0", input: {...constants}}, {id: "task1",
 * service: "s_…", input: {k: "$task0.k"}}, …], parallel_groups?}` — or the judgement that the action
 * cannot be done, with the reason an operator will read. Failures of the planner itself (an LLM endpoint
 * that times out) are thrown as EngineErrors, not returned.
 */
export type PlanResult =
  | { kind: 'plan'; plan: unknown; attempts: number }
  | { kind: 'not_actionable'; reason: string; attempts: number };

export type PlannerName = 'grounded' | 'llm';

/** Turns an action into a raw plan. The caller validates the plan with the same validator as explicit plans. */
export interface Planner {
  readonly name: PlannerName;
  plan(ctx: PlanContext): Promise<PlanResult>;
}
