import type { DataField } from '@orra/protocol';
import type { GroundingRecord, GroundingUseCase } from '../storage/store.js';
import { chunksOf, fillSlots } from './slot-filler.js';
import { TermWeights } from './term-weights.js';
import { isValueLike, tokenize } from './tokenize.js';

/**
 * The lowest score at which an action counts as an instance of a use case (see `TermWeights` for the
 * score). Roughly: the action must contain about half of the use case's distinctive words and not much
 * else. With the use cases of docs/planning.md, 0.45 accepts "Refund order ORD1", "I want my money back
 * for order ORD1" and "When will order ORD1 be delivered?" (0.50), and rejects "Track order ORD1"
 * (0.30) and "Change the delivery address of order ORD1" (0.42), which share only some words.
 */
export const USE_CASE_THRESHOLD = 0.45;

/** An action recognised as one use case of one grounding spec. */
export interface UseCaseMatch {
  spec: GroundingRecord;
  useCase: GroundingUseCase;
  /** Position of the use case in its spec. */
  index: number;
  score: number;
  /** Values found for the use case's `{param}` slots (from the data, else the action text). */
  params: Record<string, unknown>;
  sources: Record<string, 'data' | 'action'>;
  /** Slots no value was found for. */
  missing: string[];
}

export type UseCaseMatchResult =
  | { kind: 'match'; match: UseCaseMatch }
  | { kind: 'miss'; best: { spec: string; action: string; score: number } | undefined };

/**
 * Matches an action against every use case of the project's grounding specs. A use case scores the
 * better of two comparisons — with its action template (slots removed) and with its intent — so a spec
 * author can cover a second way of saying it in the intent. The best score at or above the threshold
 * wins; ties go to the use case with fewer unfilled slots, then to spec name and position, so the same
 * action always picks the same use case.
 */
export function matchUseCase(action: string, data: DataField[] | null, specs: readonly GroundingRecord[]): UseCaseMatchResult {
  const candidates = specs.flatMap((spec) =>
    spec.useCases.map((useCase, index) => ({
      spec,
      useCase,
      index,
      template: tokenize(useCase.action.replace(/\{[^}]+\}/g, ' ')),
      intent: tokenize(useCase.intent),
    })),
  );
  // A word's rarity is counted per use case (template and intent together): "how many use cases
  // mention it". Words every use case shares ("order", "customer") then weigh least.
  const weights = new TermWeights(candidates.map((c) => [...c.template, ...c.intent]));
  const terms = actionTerms(action, data);
  let best: UseCaseMatch | undefined;
  for (const c of candidates) {
    const score = round(Math.max(weights.coverScore(c.template, terms), weights.coverScore(c.intent, terms)));
    if (best && score < best.score) continue;
    const slots = fillSlots(c.useCase.action, action, data);
    const candidate: UseCaseMatch = { spec: c.spec, useCase: c.useCase, index: c.index, score, ...slots };
    if (!best || score > best.score || slots.missing.length < best.missing.length) best = candidate;
  }
  if (best && best.score >= USE_CASE_THRESHOLD) return { kind: 'match', match: best };
  return { kind: 'miss', best: best && { spec: best.spec.name, action: best.useCase.action, score: best.score } };
}

/** The content stems of an action, without the values it carries (ids, numbers, quoted text, data values). */
export function actionTerms(action: string, data: DataField[] | null): string[] {
  const values = new Set((data ?? []).map((d) => (typeof d.value === 'string' ? d.value : JSON.stringify(d.value))));
  return chunksOf(action)
    .filter((c) => !c.isQuoted && !isValueLike(c.text) && !values.has(c.text))
    .flatMap((c) => tokenize(c.text));
}

/** Scores are compared and shown with three decimals, so float noise never flips a decision. */
const round = (n: number): number => Math.round(n * 1000) / 1000;
