import { createHash } from 'node:crypto';

/**
 * orra's task idempotency key (`orra-compat.md` §4.8): SHA-256 over the orchestration id, the task id
 * and the sorted `<depTaskId>:<rawJSON>` of its dependencies' outputs. Stable across every re-send.
 */
export function taskIdempotencyKey(
  orchestrationId: string,
  taskId: string,
  dependencyOutputs: ReadonlyMap<string, unknown>,
): string {
  const hash = createHash('sha256').update(orchestrationId).update(taskId);
  const parts = [...dependencyOutputs].map(([dep, output]) => `${dep}:${JSON.stringify(output ?? null)}`).sort();
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** orra's compensation idempotency key: SHA-256 of orchestration id + task id + `compensation_worker`. */
export function compensationIdempotencyKey(orchestrationId: string, taskId: string): string {
  return createHash('sha256').update(orchestrationId).update(taskId).update('compensation_worker').digest('hex');
}
