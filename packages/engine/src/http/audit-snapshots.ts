import { toFailedCompensationOut } from '../compensation/failed-compensation-view.js';
import { toEndpointOut } from '../webhooks/webhook-view.js';
import type { AuditSpec } from './audit-hooks.js';

type Snapshot = NonNullable<AuditSpec['snapshot']>;

/** An orchestration's state for the audit trail: what an abort changes. */
export const orchestrationSnapshot: Snapshot = async (deps, projectId, id) => {
  const o = await deps.orchestrations.get(projectId, id);
  return { status: o.status, error: o.error ?? null, abortReason: o.abortReason ?? null };
};

/** A failed compensation's state: its resolution and, for a retry, its status and attempts. */
export const compensationSnapshot: Snapshot = async (deps, projectId, id) => {
  const out = toFailedCompensationOut((await deps.failedCompensations.get(projectId, id)).record);
  const { status, resolutionState, resolution, attemptsMade, resolvedAt } = out;
  return { status, resolutionState, resolution: resolution ?? null, attemptsMade, resolvedAt };
};

/** A webhook endpoint without its secret. */
export const endpointSnapshot: Snapshot = async (deps, projectId, id) =>
  toEndpointOut(await deps.webhooks.service.get(projectId, id), { withSecret: false, now: deps.now() });
