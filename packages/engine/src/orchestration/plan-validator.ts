import { ERROR_CODES, type DataField, type PlanOut, type PlanTaskOut } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import { requiredKeys } from '../services/spec-validator.js';
import type { ServiceRecord } from '../storage/store.js';
import { collectReferences } from './references.js';

/** A plan that passed validation: task0's constants apart, every other task tied to its service. */
export interface ValidatedPlan {
  taskZero: Record<string, unknown>;
  plan: PlanOut;
  /** Task id → the plan tasks it depends on (task0 excluded). */
  dependencies: Map<string, string[]>;
}

const TASK_ID = /^task(\d+)$/;

/**
 * Validates an execution plan against the project's services and the request data. Every problem is
 * collected and reported together, each naming the task and field, so one round trip fixes them all.
 * A plan that fails here is never stored or executed.
 */
export function validatePlan(
  rawPlan: unknown,
  data: DataField[] | null,
  services: ReadonlyMap<string, ServiceRecord>,
): ValidatedPlan {
  const problems: string[] = [];
  const fail = (): never => {
    throw new EngineError(ERROR_CODES.INVALID_PLAN, `invalid plan: ${problems.join('; ')}`, { param: 'plan' });
  };
  if (rawPlan === null || typeof rawPlan !== 'object' || !Array.isArray((rawPlan as { tasks?: unknown }).tasks)) {
    problems.push('plan.tasks: must be an array of tasks');
    fail();
  }
  const rawTasks = (rawPlan as { tasks: unknown[] }).tasks;
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

  const taskZero = mergeTaskZero(taskZeroInput, data, problems);
  const dependencies = new Map<string, string[]>();
  const earlier = new Map<string, ServiceRecord | undefined>();
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
        problems.push(`${task.id}.input: $${ref.taskId}.${ref.field} must reference an earlier task`);
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
  if (problems.length > 0) fail();

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
  return { taskZero, plan: { tasks: planTasks, parallel_groups: parallelGroups }, dependencies };
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
  return groups.filter((g) => g.length > 0);
}
