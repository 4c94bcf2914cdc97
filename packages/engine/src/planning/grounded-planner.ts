import type { Logger } from '../logging/logger.js';
import { wireInputs, type Source, type Step } from './input-wiring.js';
import type { PlanContext, PlanResult, Planner } from './planner.js';
import { matchCapabilities } from './service-matcher.js';

/**
 * The deterministic, offline planner: it turns a matched grounding use case into a plan without any
 * model. Steps: the use case's `{param}` slots have values (the matcher found them in the data or the
 * action); each capability gets the service that covers it best; each service's inputs are wired
 * from task0 or other services' outputs; the services are ordered by data dependency. The same request
 * against the same services and specs always gives the same plan. Whatever is missing is named in the
 * not-actionable reason, so an operator knows what to add: a data field, a service, or a spec.
 */
export class GroundedPlanner implements Planner {
  readonly name = 'grounded';

  constructor(private readonly log: Logger) {}

  async plan(ctx: PlanContext): Promise<PlanResult> {
    const notActionable = (reason: string): PlanResult => ({ kind: 'not_actionable', reason, attempts: 1 });
    const match = ctx.match;
    if (!match) return notActionable('the grounded planner needs a grounding spec whose use case matches the action');
    // The matcher only matches a use case whose every slot has a value (use-case-matcher.ts).
    const useCase = `use case "${match.useCase.action}" of grounding spec ${match.spec.name}`;

    const capabilities = matchCapabilities(match.useCase.capabilities, ctx.services);
    if (capabilities.kind === 'uncovered') {
      const gaps = capabilities.missing.map(
        (m) => `"${m.capability}"${m.closest ? ` (closest: ${m.closest.service}, score ${m.closest.score})` : ''}`,
      );
      return notActionable(`no registered service provides ${gaps.join(', ')}, needed by ${useCase}`);
    }
    // One step per service: two capabilities covered by one service are one task.
    const steps: Step[] = [];
    for (const a of capabilities.assignments) {
      const step = steps.find((s) => s.service.id === a.service.id);
      if (step) step.capabilities.push(a.capability);
      else steps.push({ service: a.service, capabilities: [a.capability] });
    }

    // task0: the data as sent, plus the slot values read from the action text.
    const textKeys = new Set(Object.entries(match.sources).filter(([, s]) => s === 'action').map(([k]) => k));
    const taskZero: Record<string, unknown> = Object.fromEntries([...textKeys].map((k) => [k, match.params[k]]));
    for (const { field, value } of ctx.data ?? []) taskZero[field] = value;
    const wired = wireInputs(steps, taskZero, textKeys);
    if (wired.kind === 'unwired') return notActionable(`${useCase}: ${wired.problems.join('; ')}`);
    const { inputs, order } = wired.wiring;

    const used = new Set([...inputs.values()].flatMap((m) => [...m.values()]).filter((s) => s.from === 'task0').map((s) => s.key));
    const unused = (ctx.data ?? []).map((d) => d.field).filter((f) => !used.has(f));
    if (unused.length > 0) {
      const names = steps.map((s) => s.service.name).join(', ');
      return notActionable(`data field(s) ${unused.join(', ')} are not an input of any service ${useCase} needs (${names})`);
    }

    const taskIdOf = new Map(order.map((step, position) => [step, `task${position + 1}`]));
    const ref = (s: Source) => (s.from === 'task0' ? `$task0.${s.key}` : `$${taskIdOf.get(s.step)}.${s.key}`);
    const tasks = order.map((step) => ({
      id: taskIdOf.get(step) as string,
      service: (steps[step] as Step).service.id,
      input: Object.fromEntries([...(inputs[step] as Map<string, Source>)].map(([key, source]) => [key, ref(source)])),
    }));
    this.log.info(
      {
        ...ctx.logFields,
        projectId: ctx.projectId,
        grounding: match.spec.name,
        useCase: match.useCase.action,
        score: match.score,
        services: capabilities.assignments.map((a) => ({ capability: a.capability, service: a.service.name, score: a.score })),
      },
      'grounded plan',
    );
    return { kind: 'plan', plan: { tasks: [{ id: 'task0', input: wired.wiring.taskZero }, ...tasks] }, attempts: 1 };
  }
}
