import { ERROR_CODES } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';

const ORCHESTRATION_ID = /^o_[0-9A-Za-z]{1,64}$/;

/** An `orchestration_id` query parameter (the event feed's and the delivery history's filter). */
export function parseOrchestrationId(raw: string): string {
  if (!ORCHESTRATION_ID.test(raw)) throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'orchestration_id must be an orchestration id (o_…)', { param: 'orchestration_id' });
  return raw;
}
