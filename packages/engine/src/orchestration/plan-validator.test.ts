import type { DataField, Spec } from '@orra/protocol';
import { describe, expect, it } from 'vitest';
import type { ServiceRecord } from '../storage/store.js';
import { checkPlan, validatePlan } from './plan-validator.js';

const schema = (props: Record<string, Spec['type']>, required?: string[]): Spec => ({
  type: 'object',
  properties: Object.fromEntries(Object.entries(props).map(([k, type]) => [k, { type }])),
  ...(required ? { required } : {}),
});

const service = (id: string, name: string, input: Spec, output: Spec): ServiceRecord => ({
  id,
  projectId: 'p_1',
  name,
  description: `${name} service`,
  schema: { input, output },
  revertible: false,
  kind: 'service',
  version: 1,
  createdAt: 0,
  updatedAt: 0,
});

const services = new Map([
  ['s_orders', service('s_orders', 'orders', schema({ orderId: 'string' }), schema({ customerId: 'string', amount: 'number' }))],
  [
    's_refunds',
    service('s_refunds', 'refunds', schema({ orderId: 'string', amount: 'number', note: 'string' }, ['orderId', 'amount']), schema({ refundId: 'string' })),
  ],
]);
const data: DataField[] = [{ field: 'orderId', value: 'ORD1' }];

/** The problems of a planned (LLM/grounded) plan, or [] when it is valid. */
function problemsOf(tasks: unknown[], source: 'explicit' | 'llm' = 'llm', d: DataField[] | null = data): string[] {
  const check = checkPlan({ tasks }, d, services, source);
  return check.kind === 'invalid' ? check.problems : [];
}

const task0 = { id: 'task0', input: { orderId: 'ORD1' } };
const lookup = { id: 'task1', service: 's_orders', input: { orderId: '$task0.orderId' } };

describe('plan validator', () => {
  it('accepts a good plan and computes the dependencies and parallel groups', () => {
    const plan = validatePlan(
      { tasks: [task0, lookup, { id: 'task2', service: 's_refunds', input: { orderId: '$task0.orderId', amount: '$task1.amount' } }] },
      data,
      services,
      'llm',
    );
    expect(plan.taskZero).toEqual({ orderId: 'ORD1' });
    expect(plan.dependencies).toEqual(new Map([['task1', []], ['task2', ['task1']]]));
    expect(plan.plan.parallel_groups).toEqual([['task1'], ['task2']]);
    expect(plan.plan.tasks[1]).toMatchObject({ service_name: 'refunds', capabilities: ['refunds service'] });
  });

  it.each([
    ['an unknown service', { id: 'task1', service: 's_nope', input: {} }, 'task1.service: unknown service "s_nope"'],
    ['a missing service', { id: 'task1', input: { orderId: '$task0.orderId' } }, 'task1.service: is required'],
    ['an input the service does not take', { ...lookup, input: { orderId: '$task0.orderId', colour: '$task0.orderId' } }, 'task1.input.colour: not an input of service orders'],
    ['a missing input (no `required`: every property)', { ...lookup, input: {} }, 'task1.input.orderId: required by service orders but missing'],
    ['a reference to a field task0 lacks', { ...lookup, input: { orderId: '$task0.nope' } }, 'task1.input: $task0.nope names a field task0 does not have'],
    ['a reference to a task the plan lacks', { ...lookup, input: { orderId: '$task2.x' } }, 'task1.input: $task2.x must reference an earlier task (the plan has no task2)'],
    ['a bad task id', { ...lookup, id: 'step1' }, 'plan.tasks[1].id: must look like task1, task2'],
    ['an input that is not an object', { ...lookup, input: 'ORD1' }, 'task1.input: must be an object'],
  ])('rejects %s, naming task and field', (_what, bad, message) => {
    expect(problemsOf([task0, bad], 'explicit').join('; ')).toContain(message);
    expect(problemsOf([task0, bad], 'llm').join('; ')).toContain(message);
  });

  it('honours `required`: optional inputs may be left out, required ones may not', () => {
    const refund = (input: Record<string, unknown>) => [task0, lookup, { id: 'task2', service: 's_refunds', input }];
    expect(problemsOf(refund({ orderId: '$task0.orderId', amount: '$task1.amount' }))).toEqual([]);
    expect(problemsOf(refund({ orderId: '$task0.orderId' }))).toEqual(['task2.input.amount: required by service refunds but missing']);
  });

  it('rejects a reference to a task that exists but comes later, saying so', () => {
    // task1 reads task2's output although task2 runs after it: the plan names task2, so this is not
    // the "unknown task" case above, and a validator that only checked existence would accept it.
    const refund = { id: 'task2', service: 's_refunds', input: { orderId: '$task0.orderId', amount: 1 } };
    const early = { ...lookup, input: { orderId: '$task2.refundId' } };
    for (const source of ['explicit', 'llm'] as const) {
      expect(problemsOf([task0, early, refund], source)).toEqual([
        'task1.input: $task2.refundId must reference an earlier task (task2 comes later in the plan)',
      ]);
    }
    expect(problemsOf([task0, { ...lookup }, { ...refund, input: { orderId: '$task1.customerId', amount: '$task1.amount' } }], 'explicit')).toEqual([]);
  });

  it('rejects a reference to a field the upstream service does not output', () => {
    const bad = { id: 'task2', service: 's_refunds', input: { orderId: '$task0.orderId', amount: '$task1.total' } };
    expect(problemsOf([task0, lookup, bad])).toEqual(['task2.input: $task1.total names a field orders does not output']);
  });

  it('rejects duplicate task ids and task0 with a service', () => {
    expect(problemsOf([{ ...task0, service: 's_orders' }, lookup, lookup])).toEqual(['task0: must not name a service', 'task1: duplicate task id']);
  });

  it('rejects a task0 value that contradicts the data', () => {
    expect(problemsOf([{ id: 'task0', input: { orderId: 'ORD2' } }, lookup])).toEqual([
      'task0.input.orderId: differs from the value of data field "orderId"',
    ]);
  });

  it('requires every data field to be used by a planned plan, but not by an explicit one', () => {
    const extra = [...data, { field: 'reason', value: 'broken' }];
    expect(problemsOf([task0, lookup], 'llm', extra)).toEqual(['data.reason: not used by any task; pass it to a task input as $task0.reason']);
    expect(problemsOf([task0, lookup], 'explicit', extra)).toEqual([]);
  });

  it('rejects a reference embedded in a longer string in a planned plan', () => {
    const bad = { ...lookup, input: { orderId: 'order $task0.orderId' } };
    expect(problemsOf([task0, bad])).toContain(
      'task1.input.orderId: a reference must be the whole value, not part of the text "order $task0.orderId"',
    );
  });

  it('hoists literals of a planned plan into task0, reusing equal values and suffixing different ones', () => {
    const plan = validatePlan(
      {
        tasks: [
          task0,
          { id: 'task1', service: 's_orders', input: { orderId: 'ORD1' } },
          { id: 'task2', service: 's_refunds', input: { orderId: 'ORD9', amount: 12.5, note: '$task1.customerId' } },
        ],
      },
      data,
      services,
      'grounded',
    );
    expect(plan.taskZero).toEqual({ orderId: 'ORD1', orderId_2: 'ORD9', amount: 12.5 });
    expect(plan.plan.tasks.map((t) => t.input)).toEqual([
      { orderId: '$task0.orderId' },
      { orderId: '$task0.orderId_2', amount: '$task0.amount', note: '$task1.customerId' },
    ]);
  });

  it('keeps literals of an explicit plan where its author put them', () => {
    const plan = validatePlan({ tasks: [task0, { ...lookup, input: { orderId: 'ORD7' } }] }, null, services);
    expect(plan.plan.tasks[0]?.input).toEqual({ orderId: 'ORD7' });
    expect(plan.taskZero).toEqual({ orderId: 'ORD1' });
  });

  it('turns a planned `final` task into not actionable with its error as the reason', () => {
    const final = { id: 'FINAL', input: { error: 'no service can send letters' } };
    expect(checkPlan({ tasks: [task0, final] }, data, services, 'llm')).toEqual({ kind: 'not_actionable', reason: 'no service can send letters' });
    expect(() => validatePlan({ tasks: [task0, final] }, data, services, 'llm')).toThrow('no service can send letters');
    expect(problemsOf([task0, final], 'explicit').join()).toContain('plan.tasks[1].id: must look like task1');
  });

  it('reports every problem of a plan at once', () => {
    const problems = problemsOf([task0, { id: 'task1', service: 's_orders', input: { colour: 1 } }, { id: 'task2', service: 's_nope', input: {} }]);
    expect(problems).toEqual([
      'task2.service: unknown service "s_nope" in this project',
      'task1.input.colour: not an input of service orders',
      'task1.input.orderId: required by service orders but missing',
      'data.orderId: not used by any task; pass it to a task input as $task0.orderId',
    ]);
  });
  describe('shapes a plan must have', () => {
    it.each([
      ['null', null],
      ['a string', 'tasks'],
      ['an object without tasks', {}],
      ['tasks that are not an array', { tasks: { task1: {} } }],
    ])('refuses %s as a plan', (_what, raw) => {
      expect(checkPlan(raw, data, services, 'explicit')).toEqual({ kind: 'invalid', problems: ['plan.tasks: must be an array of tasks'] });
    });

    it('throws Orra:InvalidPlan listing every problem, with the plan as the parameter', () => {
      let thrown: unknown;
      try {
        validatePlan({ tasks: [task0, { id: 'task1', service: 's_nope', input: {} }, null] }, data, services);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({
        code: 'Orra:InvalidPlan',
        message: 'invalid plan: task1.service: unknown service "s_nope" in this project; plan.tasks[2]: must be an object',
        param: 'plan',
      });
    });

    it.each([
      ['null', null],
      ['a number', 7],
      ['a string', 'task1'],
    ])('refuses a task that is %s', (_what, raw) => {
      expect(problemsOf([task0, lookup, raw], 'explicit')).toEqual(['plan.tasks[2]: must be an object']);
    });

    it.each([
      ['a prefix', 'xtask1'],
      ['a suffix', 'task1x'],
      ['no number', 'task'],
      ['a number', 1],
    ])('refuses a task id with %s', (_what, id) => {
      expect(problemsOf([task0, { ...lookup, id }], 'explicit')).toEqual([`plan.tasks[1].id: must look like task1, task2, … (got ${JSON.stringify(id)})`]);
    });

    it('accepts task ids of several digits and any case, and references to them', () => {
      const second = { id: 'TASK12', service: 's_refunds', input: { orderId: '$task0.orderId', amount: '$task1.amount' } };
      const plan = validatePlan({ tasks: [task0, lookup, second] }, data, services, 'llm');
      expect(plan.plan.tasks.map((t) => t.id)).toEqual(['task1', 'task12']);
      expect(plan.dependencies.get('task12')).toEqual(['task1']);
    });

    it.each([
      ['null', null],
      ['an array', ['ORD1']],
      ['missing', undefined],
    ])('refuses a task input that is %s', (_what, input) => {
      expect(problemsOf([task0, { ...lookup, input }], 'explicit')).toEqual(['task1.input: must be an object']);
    });

    it('lets task0 name no service as missing, null or empty, but refuses any service', () => {
      for (const service of [undefined, null, '']) expect(problemsOf([{ ...task0, service }, lookup])).toEqual([]);
      expect(problemsOf([{ ...task0, service: 'orders' }, lookup])).toEqual(['task0: must not name a service']);
    });

    it('needs a task besides task0, unless the plan already has problems', () => {
      expect(problemsOf([task0], 'explicit')).toEqual(['plan.tasks: needs at least one task besides task0']);
      expect(problemsOf([], 'explicit')).toEqual(['plan.tasks: needs at least one task besides task0']);
      expect(problemsOf([{ id: 'step0', input: {} }], 'explicit')).toEqual(['plan.tasks[0].id: must look like task1, task2, … (got "step0")']);
    });
  });

  describe('references to task0', () => {
    it('accepts a dotted field whose first part task0 has, and refuses one it lacks', () => {
      const nested: DataField[] = [{ field: 'order', value: { id: 'ORD1' } }];
      const t0 = { id: 'task0', input: { order: { id: 'ORD1' } } };
      expect(problemsOf([t0, { ...lookup, input: { orderId: '$task0.order.id' } }], 'llm', nested)).toEqual([]);
      expect(problemsOf([t0, { ...lookup, input: { orderId: '$task0.basket.id' } }], 'explicit', nested)).toEqual([
        'task1.input: $task0.basket.id names a field task0 does not have',
      ]);
    });

    it('counts a data field as used when a task reads part of it', () => {
      const nested: DataField[] = [{ field: 'order', value: { id: 'ORD1' } }];
      expect(problemsOf([{ id: 'task0', input: {} }, { ...lookup, input: { orderId: '$task0.order.id' } }], 'llm', nested)).toEqual([]);
    });

    it('does not count a reference to another task as using a data field of the same name', () => {
      const extra: DataField[] = [...data, { field: 'amount', value: 3 }];
      const refund = { id: 'task2', service: 's_refunds', input: { orderId: '$task0.orderId', amount: '$task1.amount' } };
      expect(problemsOf([task0, lookup, refund], 'llm', extra)).toEqual(['data.amount: not used by any task; pass it to a task input as $task0.amount']);
    });
  });

  describe('references embedded in text', () => {
    it('finds them inside nested objects and arrays, naming the path', () => {
      const refund = {
        id: 'task2',
        service: 's_refunds',
        input: { orderId: '$task0.orderId', amount: '$task1.amount', note: { lines: ['ok', 'see $task12.x'] } },
      };
      expect(problemsOf([task0, lookup, refund])).toContain('task2.input.note.lines[1]: a reference must be the whole value, not part of the text "see $task12.x"');
    });
  });

  describe('planned final tasks', () => {
    it.each([
      ['a blank error', { error: '   ' }, 'the planner judged the action impossible and gave no reason'],
      ['no error', {}, 'the planner judged the action impossible and gave no reason'],
      ['a null error', { error: null }, 'the planner judged the action impossible and gave no reason'],
      ['no input', undefined, 'the planner judged the action impossible and gave no reason'],
      ['an error that is not text', { error: { code: 7 } }, '{"code":7}'],
      ['an error with spaces around it', { error: '  no courier  ' }, 'no courier'],
    ])('gives a reason for a final task with %s', (_what, input, reason) => {
      const final = input === undefined ? { id: 'final' } : { id: 'final', input };
      expect(checkPlan({ tasks: [null, task0, final] }, data, services, 'llm')).toEqual({ kind: 'not_actionable', reason });
    });
  });

  describe('parallel groups', () => {
    it('puts a task one level below the deepest task it reads from', () => {
      const refund = { id: 'task2', service: 's_refunds', input: { orderId: '$task0.orderId', amount: '$task1.amount' } };
      const third = { id: 'task3', service: 's_refunds', input: { orderId: '$task0.orderId', amount: '$task1.amount', note: '$task2.refundId' } };
      const fourth = { id: 'task4', service: 's_orders', input: { orderId: '$task0.orderId' } };
      const plan = validatePlan({ tasks: [task0, lookup, refund, third, fourth] }, data, services);
      expect(plan.plan.parallel_groups).toEqual([['task1', 'task4'], ['task2'], ['task3']]);
    });

    it('keeps the groups a plan gives when they are lists of task ids, and computes them otherwise', () => {
      // Informational only: kept as given (even when it differs from what the engine would compute).
      const given = validatePlan({ tasks: [task0, lookup], parallel_groups: [['task1'], []] }, data, services);
      expect(given.plan.parallel_groups).toEqual([['task1'], []]);
      for (const bad of [[['task1', 2]], ['task1'], 'task1']) {
        const computed = validatePlan({ tasks: [task0, lookup], parallel_groups: bad }, data, services);
        expect(computed.plan.parallel_groups).toEqual([['task1']]);
      }
      const mixed = validatePlan({ tasks: [task0, lookup], parallel_groups: [['task1'], [3]] }, data, services);
      expect(mixed.plan.parallel_groups).toEqual([['task1']]);
    });
  });
});
