import { createHash } from 'node:crypto';

/** Hex digits of the time prefix: 48 bits of milliseconds, enough until the year 10889. */
const TIME_HEX = 12;

/**
 * A task's idempotency key: 64 lower-case hex digits, stable across every re-send (computed once, when
 * the task is first sent, and stored). The first 12 are the orchestration's creation time in ms; the
 * other 52 are the start of orra's key (`orra-compat.md` §4.8: SHA-256 over the orchestration id, the
 * task id and the sorted `<depTaskId>:<rawJSON>` of its dependencies' outputs).
 *
 * Why not orra's bare SHA-256: the key is indexed (`tasks_idempotency_key`, for answers no runner of
 * this process waits for), and random keys put every new index entry on a random page, so a commit of
 * a busy engine dirtied one more page per task it sent (diamond throughput 0.85 of the build without
 * that index, bench/README.md). A time prefix keeps new entries at the right edge of the index, as
 * orchestration ids do (`sortableId`). Services only compare keys for equality: the shape they see,
 * 64 hex digits, is orra's. 208 bits of hash per millisecond leave collisions out of reach.
 */
export function taskIdempotencyKey(
  orchestration: { id: string; createdAt: number },
  taskId: string,
  dependencyOutputs: ReadonlyMap<string, unknown>,
): string {
  const hash = createHash('sha256').update(orchestration.id).update(taskId);
  const parts = [...dependencyOutputs].map(([dep, output]) => `${dep}:${JSON.stringify(output ?? null)}`).sort();
  for (const part of parts) hash.update(part);
  const time = Math.max(0, Math.floor(orchestration.createdAt)).toString(16).padStart(TIME_HEX, '0').slice(-TIME_HEX);
  return time + hash.digest('hex').slice(0, 64 - TIME_HEX);
}

/** orra's compensation idempotency key: SHA-256 of orchestration id + task id + `compensation_worker`. */
export function compensationIdempotencyKey(orchestrationId: string, taskId: string): string {
  return createHash('sha256').update(orchestrationId).update(taskId).update('compensation_worker').digest('hex');
}
