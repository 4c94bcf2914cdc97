import { compactValue, truncate } from './format.js';

/**
 * One readable line about a webhook event body, by type, so a person sees at a glance what happened
 * and what to do (a failed compensation needs an operator).
 */
export function summarizeEvent(body: unknown): string {
  if (body === null || typeof body !== 'object') return 'body is not a JSON object';
  const e = body as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : compactValue(v));
  switch (e.type) {
    case 'orchestration.completed': {
      const results = Array.isArray(e.results) ? e.results : [];
      return `orchestration ${str(e.orchestration_id)} completed; results: ${truncate(compactValue(results), 120)}`;
    }
    case 'orchestration.failed': {
      const error = (e.error ?? {}) as Record<string, unknown>;
      const where = error.producer ? ` (task ${str(error.producer)})` : '';
      return `orchestration ${str(e.orchestration_id)} failed${where}: ${truncate(str(error.error ?? e.error), 160)}`;
    }
    case 'orchestration.aborted':
      return `orchestration ${str(e.orchestration_id)} aborted: ${truncate(compactValue(e.abort_reason), 160)}`;
    case 'compensation.failed':
      return (
        `compensation ${str(e.compensation_id)} of ${str(e.task_id)} on ${str(e.service_name)} ${str(e.status)}: ` +
        `${truncate(str(e.failure), 120)}; act with 'orra comp-fail inspect ${str(e.compensation_id)}'`
      );
    case 'webhook.test':
      return `test event for endpoint ${str(e.endpoint_id)}`;
    default:
      return `event of type ${str(e.type ?? 'unknown')}`;
  }
}
