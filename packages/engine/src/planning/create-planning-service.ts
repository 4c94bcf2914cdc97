import type { Config } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../storage/store.js';
import { GroundedPlanner } from './grounded-planner.js';
import { LlmPlanner } from './llm-planner.js';
import { PlanningService } from './planning-service.js';

/** Wires the planners from configuration: the LLM planner only when an endpoint is configured. */
export function createPlanningService(config: Config, store: Store, log: Logger, now: () => number): PlanningService {
  const llm =
    config.llmApiBaseUrl && config.llmModel
      ? new LlmPlanner(
          { baseUrl: config.llmApiBaseUrl, model: config.llmModel, apiKey: config.llmApiKey, timeoutMs: config.llmTimeoutMs, now },
          log,
        )
      : undefined;
  log.info({ planner: llm ? 'llm' : 'grounded', model: config.llmModel }, 'planner configured');
  return new PlanningService(store, { grounded: new GroundedPlanner(log), llm }, log);
}
