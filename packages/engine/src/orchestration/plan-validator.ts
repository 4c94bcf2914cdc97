import { ERROR_CODES, type DataField, type PlanOut, type PlanTaskOut } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import { requiredKeys } from '../services/spec-validator.js';
import type { ServiceRecord } from '../storage/store.js';
import { hoistLiterals } from './literal-hoisting.js';
import { collectReferences, parseReference } from './references.js';

/** A plan that passed validation: task0's constants apart, every other task tied to its service. */
export interface ValidatedPlan {
  taskZero: Record<string, unknown>;
  plan: PlanOut;
  /** Task id → the plan tasks it depends on (task0 excluded). */
  dependencies: Map<string, string[]>;
}

const TASK_ID = /^task(\d+)$/;
/** A `$taskN.` inside a longer string: a template the engine would pass on as literal text. */
const EMBEDDED_REFERENCE = /\$task\d+\./;

/**
 * Where a plan came from. Explicit plans (sent with the request) are checked exactly as before planning
 * existed. Planned plans (`grounded`, `llm`) get orra's extra rules: a task `final` means "not
 * actionable"; constants are hoisted into task0; a reference must be the whole value, never part of a
 * longer string; and every `data` field must be used by some task as `$task0.<field>` — a planner that
 * ignores part of what the caller sent has misunderstood the request. Explicit plans are exempt from the
 * last rule because their author chose what to use.
 */
export type PlanSource = 'explicit' | 'grounded' | 'llm';

/** The outcome of checking a plan, for planners that react to problems (the LLM planner retries). */
export type PlanCheck =
  | { kind: 'valid'; plan: ValidatedPlan }
  | { kind: 'invalid'; problems: string[] }
  | { kind: 'not_actionable'; reason: string };

/**
 * Validates an execution plan against the project's services and the request data, or throws
 * `Orra:InvalidPlan` listing every problem (or `Orra:ActionNotActionable` for a planned `final` task).
 */
export function validatePlan(
  rawPlan: unknown,
  data: DataField[] | null,
  services: ReadonlyMap<string, ServiceRecord>,
  source: PlanSource = 'explicit',
): ValidatedPlan {
  const check = checkPlan(rawPlan, data, services, source);
  if (check.kind === 'valid') return check.plan;
  if (check.kind === 'not_actionable') throw new EngineError(ERROR_CODES.ACTION_NOT_ACTIONABLE, check.reason);
  throw new EngineError(ERROR_CODES.INVALID_PLAN, `invalid plan: ${check.problems.join('; ')}`, { param: 'plan' });
}

/**
 * Checks a plan. Every problem is collected and reported together, each naming the task and field, so
 * one round trip (or one LLM retry) fixes them all. A plan that fails here is never stored or executed.
 */
export function checkPlan(
  rawPlan: unknown,
  data: DataField[] | null,
  services: ReadonlyMap<string, ServiceRecord>,
  source: PlanSource = 'explicit',
): PlanCheck {
  const problems: string[] = [];
  const invalid = (): PlanCheck => ({ kind: 'invalid', problems });
  const isPlanned = source !== 'explicit';
  if (rawPlan === null || typeof rawPlan !== 'object' || !Array.isArray((rawPlan as { tasks?: unknown }).tasks)) {
    problems.push('plan.tasks: must be an array of tasks');
    return invalid();
  }
  const rawTasks = (rawPlan as { tasks: unknown[] }).tasks;
  if (isPlanned) {
    const reason = finalTaskReason(rawTasks);
    if (reason !== undefined) return { kind: 'not_actionable', reason };
  }
  const seen = new Set<string>();
  let taskZeroInput: Record<string, unknown> = {};
  const tasks: { id: string; service: ServiceRecord | undefined; input: Record<string, unknown> }[] = [];

  rawTasks.forEach((raw, index) => {
    const where = `plan.tasks[${index}]`;
    if (raw === null || typeof raw !== 'object') return void problems.push(`${where}: must be an object`);
    const t = raw as Record<string, unknown>;
    const id = typeof t.id === 'string' ? t.id.toLowerCase() : '';
    if (!TASK_ID.test(id)) return void problems.push(`${where}.id: must look like task1, task2, … (got ${JSON.stringify(t.id)})`);
    if (seen.has(id)) return void problems.push(`${id}: duplicate task id`);
    seen.add(id);
    const input = t.input;
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      return void problems.push(`${id}.input: must be an object`);
    }
    if (id === 'task0') {
      if (t.service !== undefined && t.service !== null && t.service !== '') problems.push('task0: must not name a service');
      taskZeroInput = input as Record<string, unknown>;
      return;
    }
    const serviceId = typeof t.service === 'string' ? t.service.toLowerCase() : '';
    const service = services.get(serviceId);
    if (!serviceId) problems.push(`${id}.service: is required`);
    else if (!service) problems.push(`${id}.service: unknown service ${JSON.stringify(t.service)} in this project`);
    tasks.push({ id, service, input: input as Record<string, unknown> });
  });
  if (tasks.length === 0 && problems.length === 0) problems.push('plan.tasks: needs at least one task besides task0');

  let taskZero = mergeTaskZero(taskZeroInput, data, problems);
  if (isPlanned) {
    checkEmbeddedReferences(tasks, problems);
    const hoisted = hoistLiterals(taskZero, tasks);
    taskZero = hoisted.taskZero;
    tasks.forEach((task, i) => (task.input = hoisted.inputs[i] as Record<string, unknown>));
  }
  const dependencies = new Map<string, string[]>();
  const earlier = new Map<string, ServiceRecord | undefined>();
  const taskIds = new Set(tasks.map((t) => t.id));
  for (const task of tasks) {
    if (task.service) checkInputKeys(task.id, task.input, task.service, problems);
    const deps = new Set<string>();
    for (const ref of collectReferences(task.input)) {
      if (ref.taskId === 'task0') {
        if (!Object.hasOwn(taskZero, ref.field) && !Object.hasOwn(taskZero, ref.field.split('.')[0] as string)) {
          problems.push(`${task.id}.input: $task0.${ref.field} names a field task0 does not have`);
        }
        continue;
      }
      if (!earlier.has(ref.taskId)) {
        // A later task and a task that does not exist are different mistakes with different fixes.
        const why = taskIds.has(ref.taskId) ? `${ref.taskId} comes later in the plan` : `the plan has no ${ref.taskId}`;
        problems.push(`${task.id}.input: $${ref.taskId}.${ref.field} must reference an earlier task (${why})`);
        continue;
      }
      const upstream = earlier.get(ref.taskId);
      const props = upstream?.schema.output.properties ?? {};
      if (upstream && !Object.hasOwn(props, ref.field) && !Object.hasOwn(props, ref.field.split('.')[0] as string)) {
        problems.push(`${task.id}.input: $${ref.taskId}.${ref.field} names a field ${upstream.name} does not output`);
      }
      deps.add(ref.taskId);
    }
    dependencies.set(task.id, [...deps]);
    earlier.set(task.id, task.service);
  }
  if (isPlanned) checkDataUsed(tasks, data, problems);
  if (problems.length > 0) return invalid();

  const planTasks: PlanTaskOut[] = tasks.map((t) => ({
    id: t.id,
    service: (t.service as ServiceRecord).id,
    input: t.input,
    service_name: (t.service as ServiceRecord).name,
    capabilities: [(t.service as ServiceRecord).description],
    expected_input: (t.service as ServiceRecord).schema.input,
    expected_output: (t.service as ServiceRecord).schema.output,
  }));
  const groups = (rawPlan as { parallel_groups?: unknown }).parallel_groups;
  const parallelGroups = isGroups(groups) ? groups : computeParallelGroups(dependencies);
  return { kind: 'valid', plan: { taskZero, plan: { tasks: planTasks, parallel_groups: parallelGroups }, dependencies } };
}

/** orra's convention: a task `final` (any case) carries in `input.error` why the action cannot be done. */
function finalTaskReason(rawTasks: unknown[]): string | undefined {
  for (const raw of rawTasks) {
    if (raw === null || typeof raw !== 'object') continue;
    const t = raw as { id?: unknown; input?: { error?: unknown } };
    if (typeof t.id !== 'string' || t.id.toLowerCase() !== 'final') continue;
    const error = t.input && typeof t.input === 'object' ? t.input.error : undefined;
    // A blank reason is no reason: say so rather than pass on quoted spaces.
    const isBlank = error === undefined || error === null || (typeof error === 'string' && error.trim() === '');
    if (isBlank) return 'the planner judged the action impossible and gave no reason';
    return typeof error === 'string' ? error.trim() : JSON.stringify(error);
  }
  return undefined;
}

/** `"Order $task0.orderId"` would reach the service as that literal text, so it is a planning mistake. */
function checkEmbeddedReferences(tasks: readonly { id: string; input: Record<string, unknown> }[], problems: string[]): void {
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (!parseReference(value) && EMBEDDED_REFERENCE.test(value)) {
        problems.push(`${path}: a reference must be the whole value, not part of the text ${JSON.stringify(value)}`);
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
  };
  for (const task of tasks) for (const [key, value] of Object.entries(task.input)) visit(value, `${task.id}.input.${key}`);
}

function checkDataUsed(tasks: readonly { input: Record<string, unknown> }[], data: DataField[] | null, problems: string[]): void {
  const used = new Set<string>();
  for (const task of tasks) {
    for (const ref of collectReferences(task.input)) if (ref.taskId === 'task0') used.add(ref.field.split('.')[0] as string).add(ref.field);
  }
  for (const { field } of data ?? []) {
    if (!used.has(field)) problems.push(`data.${field}: not used by any task; pass it to a task input as $task0.${field}`);
  }
}

function mergeTaskZero(
  input: Record<string, unknown>,
  data: DataField[] | null,
  problems: string[],
): Record<string, unknown> {
  const merged = { ...input };
  for (const { field, value } of data ?? []) {
    if (Object.hasOwn(merged, field) && JSON.stringify(merged[field]) !== JSON.stringify(value)) {
      problems.push(`task0.input.${field}: differs from the value of data field "${field}"`);
    }
    merged[field] = value;
  }
  return merged;
}

function checkInputKeys(taskId: string, input: Record<string, unknown>, service: ServiceRecord, problems: string[]): void {
  const props = service.schema.input.properties ?? {};
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(props, key)) problems.push(`${taskId}.input.${key}: not an input of service ${service.name}`);
  }
  for (const key of requiredKeys(service.schema.input)) {
    if (!Object.hasOwn(input, key)) problems.push(`${taskId}.input.${key}: required by service ${service.name} but missing`);
  }
}

function isGroups(value: unknown): value is string[][] {
  return Array.isArray(value) && value.every((g) => Array.isArray(g) && g.every((id) => typeof id === 'string'));
}

/** Groups tasks by dependency depth: informational only, execution is pure dataflow. */
function computeParallelGroups(dependencies: ReadonlyMap<string, string[]>): string[][] {
  const depth = new Map<string, number>();
  const groups: string[][] = [];
  for (const [id, deps] of dependencies) {
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => depth.get(dep) ?? 0));
    depth.set(id, d);
    (groups[d] ??= []).push(id);
  }
  // Depths are contiguous from 0 (a task is one deeper than its deepest dependency), so no group is empty.
  return groups;
}
