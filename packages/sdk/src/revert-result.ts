import type { CompensationResultValue } from '@orra/protocol';

/** Items a partial compensation did and did not undo. */
export interface PartialCompensation {
  completed: unknown[];
  remaining: unknown[];
}

/**
 * What an `onRevert` handler may return. Nothing means completed; `{partial}` (with or without
 * `status: 'partial'`) means partial; `{status: 'failed', error?}` means the compensation failed.
 */
export type RevertResult =
  | void
  | null
  | undefined
  | { status?: 'completed' | 'partial' | 'failed'; partial?: PartialCompensation; error?: string };

/** The `result` and `error` of the `task_result` that answers a compensation request. */
export interface CompensationOutcome {
  result: CompensationResultValue;
  /** Set when the compensation failed; the engine counts the attempt as failed. */
  error: string | null;
}

/** The default error text of a handler that returned `{status: 'failed'}` without one. */
export const RETURNED_FAILED_MESSAGE = 'compensation handler returned status failed';

/**
 * Maps a revert handler's return value onto the wire. Deliberate difference from orra's JS SDK, which
 * rewrites `{status:'failed'}` into `completed` (so a failed undo looked successful and nobody was
 * told): here it is sent as a failure with an `error`, so the engine retries and, in the end, records
 * a failed compensation for an operator.
 */
export function toCompensationOutcome(returned: unknown): CompensationOutcome {
  if (returned === null || typeof returned !== 'object')
    return { result: { status: 'completed' }, error: null };
  const value = returned as { status?: unknown; partial?: unknown; error?: unknown };
  if (value.status === 'failed') {
    return { result: { status: 'failed' }, error: errorText(value.error) ?? RETURNED_FAILED_MESSAGE };
  }
  if ((value.status === undefined || value.status === 'partial') && isPartial(value.partial)) {
    return { result: { status: 'partial', partial: value.partial }, error: null };
  }
  // orra's rule: any other object, including `{status:'partial'}` without a valid `partial`, is completed.
  return { result: { status: 'completed' }, error: null };
}

function isPartial(value: unknown): value is PartialCompensation {
  if (value === null || typeof value !== 'object') return false;
  const partial = value as { completed?: unknown; remaining?: unknown };
  return Array.isArray(partial.completed) && Array.isArray(partial.remaining);
}

function errorText(error: unknown): string | undefined {
  if (typeof error === 'string' && error.trim() !== '') return error;
  if (error instanceof Error && error.message) return error.message;
  return undefined;
}
