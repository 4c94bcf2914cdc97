/**
 * The body of a 5-task diamond orchestration on one echo service (task1 → task2, task3, task4 → task5).
 * The 5th task reads only task2 so every task is on a path; task3 and task4 are sinks too.
 */
export function diamondBody(serviceId: string): string {
  return JSON.stringify({
    action: { content: 'diamond' },
    data: [{ field: 'v', value: 'x' }],
    plan: {
      tasks: [
        { id: 'task1', service: serviceId, input: { v: '$task0.v' } },
        { id: 'task2', service: serviceId, input: { v: '$task1.v' } },
        { id: 'task3', service: serviceId, input: { v: '$task1.v' } },
        { id: 'task4', service: serviceId, input: { v: '$task1.v' } },
        { id: 'task5', service: serviceId, input: { v: '$task2.v' } },
      ],
    },
  });
}
