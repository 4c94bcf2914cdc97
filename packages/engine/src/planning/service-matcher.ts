import type { ServiceRecord } from '../storage/store.js';
import { TermWeights } from './term-weights.js';
import { tokenize, words } from './tokenize.js';

/**
 * The lowest score at which a service counts as providing a capability (score as in `TermWeights`,
 * with the capability as what is needed and the service's name and description as what is offered).
 * Lower than the use-case threshold because capabilities and service descriptions are written by
 * different people: "Refund the payment" must still find "payments: Refunds card payments of an order".
 */
export const CAPABILITY_THRESHOLD = 0.35;

export interface CapabilityAssignment {
  capability: string;
  service: ServiceRecord;
  score: number;
}

export type CapabilityMatchResult =
  | { kind: 'covered'; assignments: CapabilityAssignment[] }
  | { kind: 'uncovered'; missing: { capability: string; closest: { service: string; score: number } | undefined }[] };

/** The text a service is matched by: its name split into words, and its description. */
export function serviceTerms(service: ServiceRecord): string[] {
  return [...tokenize(words(service.name).join(' ')), ...tokenize(service.description)];
}

/**
 * Gives each capability of a use case the registered service that covers it best. Ties go to the
 * service name, then id, so the choice is stable. Every capability must be covered; orra only asks for
 * 95 % of them, which lets a plan silently skip a step the spec author asked for.
 */
export function matchCapabilities(capabilities: readonly string[], services: readonly ServiceRecord[]): CapabilityMatchResult {
  const docs = [...services]
    .sort((a, b) => (a.name === b.name ? (a.id < b.id ? -1 : 1) : a.name < b.name ? -1 : 1))
    .map((service) => ({ service, terms: serviceTerms(service) }));
  const weights = new TermWeights(docs.map((d) => d.terms));
  const assignments: CapabilityAssignment[] = [];
  const missing: { capability: string; closest: { service: string; score: number } | undefined }[] = [];
  for (const capability of capabilities) {
    const needed = tokenize(capability);
    let best: CapabilityAssignment | undefined;
    for (const d of docs) {
      const score = Math.round(weights.coverScore(needed, d.terms) * 1000) / 1000;
      if (!best || score > best.score) best = { capability, service: d.service, score };
    }
    if (best && best.score >= CAPABILITY_THRESHOLD) assignments.push(best);
    else missing.push({ capability, closest: best && { service: best.service.name, score: best.score } });
  }
  return missing.length > 0 ? { kind: 'uncovered', missing } : { kind: 'covered', assignments };
}
