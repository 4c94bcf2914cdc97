/**
 * Grounding specs (orra's name): per-project domain examples that tell the planner which actions the
 * project supports and which capabilities each needs. YAML in the CLI (`use-cases`), JSON on the wire
 * (`useCases`).
 */

/** One supported action of a grounding spec. */
export interface GroundingUseCaseIn {
  /** The action, with `{param}` slots: `"Process refund for order {orderId}"`. */
  action: string;
  /** An example value for every `{param}` of the action (orra: string → string). */
  params?: Record<string, string> | null;
  /** What the plan must be able to do, one capability per entry, matched against service descriptions. */
  capabilities: string[];
  /** Why a user asks for this, in the words users use. */
  intent: string;
}

/** `POST /groundings` body. */
export interface GroundingSpecIn {
  /** 3–63 characters of `a-z 0-9 . -`, starting and ending with a letter or digit. */
  name: string;
  /** Same rules as `name`. */
  domain: string;
  /** Any non-blank text. Applying the same name with the same version again is refused. */
  version: string;
  useCases: GroundingUseCaseIn[];
  /** Rules the plan must respect (given to the LLM planner; informational for the grounded planner). */
  constraints?: string[] | null;
}

/** A stored grounding spec: `POST /groundings` (201) and each element of `GET /groundings`. */
export interface GroundingSpecOut {
  projectID: string;
  name: string;
  domain: string;
  version: string;
  useCases: { action: string; params: Record<string, string> | null; capabilities: string[]; intent: string }[];
  /** `null` when the spec has none (orra encodes a nil Go slice). */
  constraints: string[] | null;
}
