import type { DataField } from '@orra/protocol';
import type { GroundingRecord, GroundingUseCase } from '../storage/store.js';
import { readPhrasing, readSpecText, type Phrasing, type Term } from './phrasing.js';
import { chunksOf, fillSlots, type Chunk } from './slot-filler.js';
import { stem } from './stem.js';
import { SYNONYMS } from './synonyms.js';
import { TermWeights } from './term-weights.js';
import { isValueLike } from './tokenize.js';

/**
 * The lowest score at which an action that passes every other rule counts as its use case. With every
 * word of the use case present the score is 5p / (4p + 1) for the share p of the action's words that are
 * the use case's, so 0.5 refuses an action whose words are more than five-sixths something else ("Ship
 * order ORD1" buried in a paragraph about another matter). It does not depend on how many use cases the
 * project has: words are not weighted by rarity here (see `matchUseCase`).
 */
export const USE_CASE_THRESHOLD = 0.5;

/** An action recognised as one use case of one grounding spec. */
export interface UseCaseMatch {
  spec: GroundingRecord;
  useCase: GroundingUseCase;
  /** Position of the use case in its spec. */
  index: number;
  score: number;
  /** Values found for every `{param}` slot of the use case (from the data, else the action text). */
  params: Record<string, unknown>;
  sources: Record<string, 'data' | 'action'>;
}

/** The use case an action came closest to, and why it was refused. */
export interface UseCaseRefusal {
  spec: string;
  action: string;
  score: number;
  reason: string;
}

export type UseCaseMatchResult =
  { kind: 'match'; match: UseCaseMatch } | { kind: 'miss'; closest: UseCaseRefusal | undefined };

/**
 * Matches an action against every use case of the project's grounding specs. A use case is read two
 * ways, its action template (slots removed) and its intent (its subject, "Customer …", removed); the
 * action matches it through either when
 *  1. both are negated or neither is ("Do not ship order ORD1" is not "Ship order {orderId}"), and the
 *     action sets no condition the phrasing does not ("Ship order ORD1 if it is paid");
 *  2. every operation verb of the action is a word of the use case ("Cancel the shipment of …" is not
 *     "Ship order …": operation-verbs.ts);
 *  3. every word of that phrasing is in the action, itself or a synonym (synonyms.ts);
 *  4. no other word of the action stands between them ("Ship the invoice of order ORD1");
 *  5. the score reaches `USE_CASE_THRESHOLD`;
 * and then, for the use case,
 *  6. every `{slot}` has a value (slot-filler.ts), and
 *  7. every value the action carries fills a slot ("Ship orders ORD1 and ORD2" would drop ORD2).
 * The score is the F-measure (β = 2) of the phrasing's words found in the action (recall) and the
 * action's words that are the phrasing's (precision), each word weighing 1. Of the use cases that pass,
 * the best score wins; ties go to spec name, then position, so the same action always picks the same
 * use case. When none passes, the closest (best score, same ties) is reported with the rule it broke.
 */
export function matchUseCase(
  action: string,
  data: DataField[] | null,
  specs: readonly GroundingRecord[],
): UseCaseMatchResult {
  const dataValues = new Set(
    (data ?? []).map((d) => (typeof d.value === 'string' ? d.value : JSON.stringify(d.value))),
  );
  const isValue = (c: Chunk) => c.isQuoted || isValueLike(c.text) || dataValues.has(c.text);
  const said = readPhrasing(chunksOf(action), isValue);
  let best: UseCaseMatch | undefined;
  let closest: UseCaseRefusal | undefined;
  for (const spec of specs) {
    spec.useCases.forEach((useCase, index) => {
      const verdict = judgeUseCase(useCase, said, action, data);
      if (verdict.kind === 'match') {
        if (!best || verdict.score > best.score)
          best = {
            spec,
            useCase,
            index,
            score: verdict.score,
            params: verdict.params,
            sources: verdict.sources,
          };
      } else if (!closest || verdict.score > closest.score) {
        closest = { spec: spec.name, action: useCase.action, score: verdict.score, reason: verdict.reason };
      }
    });
  }
  return best ? { kind: 'match', match: best } : { kind: 'miss', closest };
}

type UseCaseVerdict =
  | {
      kind: 'match';
      score: number;
      params: Record<string, unknown>;
      sources: Record<string, 'data' | 'action'>;
    }
  | { kind: 'refused'; score: number; reason: string };

function judgeUseCase(
  useCase: GroundingUseCase,
  said: Phrasing,
  action: string,
  data: DataField[] | null,
): UseCaseVerdict {
  const template = readSpecText(useCase.action);
  const intent = withoutSubject(readSpecText(useCase.intent));
  const vocabulary = new Set([...template.terms, ...intent.terms].map((t) => t.key));
  const head = template.terms.find((t) => t.verb !== undefined) ?? template.terms[0];
  const verdicts = [template, intent].map((p) => judgePhrasing(p, said, vocabulary, head));
  const passing = verdicts.filter((v) => v.reason === undefined);
  if (passing.length === 0) {
    const v = verdicts.reduce((a, b) => (b.score > a.score ? b : a));
    return { kind: 'refused', score: v.score, reason: v.reason as string };
  }
  const score = Math.max(...passing.map((v) => v.score));
  const slots = fillSlots(useCase.action, action, data);
  if (slots.missing.length > 0) {
    const names = slots.missing.map((m) => `{${m}}`).join(', ');
    return {
      kind: 'refused',
      score,
      reason: `no value was found for ${names}: send it as a data field or write it in the action`,
    };
  }
  if (slots.unused.length > 0) {
    const values = slots.unused.map((v) => `"${v}"`).join(', ');
    return {
      kind: 'refused',
      score,
      reason: `the action's ${values} fills no {slot} of the use case, and one action runs one use case once`,
    };
  }
  return { kind: 'match', score, params: slots.params, sources: slots.sources };
}

/** Each word weighs 1 (an empty corpus): the same action scores the same however many use cases there are. */
const UNWEIGHTED = new TermWeights([]);

/** Checks 1–5 of `matchUseCase` for one phrasing of a use case; `reason` is the first one broken. */
function judgePhrasing(
  phrasing: Phrasing,
  said: Phrasing,
  vocabulary: ReadonlySet<string>,
  head: Term | undefined,
): { score: number; reason: string | undefined } {
  const keys = new Set(phrasing.terms.map((t) => t.key));
  const saidKeys = new Set(said.terms.map((t) => t.key));
  const score = round(UNWEIGHTED.coverScore([...keys], [...saidKeys]));
  const refuse = (reason: string) => ({ score, reason });
  if (keys.size === 0) return refuse('the use case has no words to match');
  if (said.negation !== undefined && phrasing.negation === undefined)
    return refuse(`the action is negated ("${said.negation}")`);
  if (said.negation === undefined && phrasing.negation !== undefined)
    return refuse(`the use case is negated ("${phrasing.negation}") and the action is not`);
  if (said.condition !== undefined && phrasing.condition === undefined)
    return refuse(`the action sets a condition ("${said.condition}")`);
  const otherVerb = said.terms.find((t) => t.verb !== undefined && !vocabulary.has(t.key));
  if (otherVerb) {
    // A use case whose action template is all slots has no head verb to name.
    const expected = head ? `does not match "${head.written}"` : 'is not a word of the use case';
    return refuse(`verb "${otherVerb.written}" ${expected}`);
  }
  const missing = unique(phrasing.terms.filter((t) => !saidKeys.has(t.key)));
  if (missing.length > 0) return refuse(`the action does not say ${missing.map(withSynonyms).join(', ')}`);
  const between = intruders(phrasing, said);
  if (between.length > 0) {
    const words = between.map((t) => `"${t.written}"`).join(', ');
    return refuse(`the action puts ${words} between the use case's words, so it asks about something else`);
  }
  if (score < USE_CASE_THRESHOLD)
    return refuse(`most of the action is not about the use case (score below ${USE_CASE_THRESHOLD})`);
  return { score, reason: undefined };
}

/**
 * The action's words inside the shortest stretch of it that holds every word of the phrasing, other
 * than the phrasing's own. Words before and after are context ("…, it arrived broken"); a word in the
 * middle changes what the phrasing's words are about ("Ship the invoice of order ORD1").
 */
function intruders(phrasing: Phrasing, said: Phrasing): Term[] {
  const keys = new Set(phrasing.terms.map((t) => t.key));
  let shortest: Term[] | undefined;
  said.terms.forEach((t, from) => {
    if (!keys.has(t.key)) return;
    const seen = new Set<string>();
    for (let to = from; to < said.terms.length; to++) {
      const key = (said.terms[to] as Term).key;
      if (keys.has(key)) seen.add(key);
      if (seen.size === keys.size) {
        const window = said.terms.slice(from, to + 1);
        if (!shortest || window.length < shortest.length) shortest = window;
        return;
      }
    }
  });
  return (shortest ?? []).filter((t) => !keys.has(t.key));
}

/**
 * Who wants it is not part of what is wanted: an intent "Customer wants their money back for an order"
 * is matched by "money back" and "order", since actions are written by the customer ("I want…").
 */
const SUBJECTS = new Set(
  'customer user client buyer shopper caller someone somebody visitor guest member person people'
    .split(' ')
    .map(stem),
);

function withoutSubject(p: Phrasing): Phrasing {
  const first = p.terms[0];
  return first && SUBJECTS.has(first.key) ? { ...p, terms: p.terms.slice(1) } : p;
}

/** `"ship" (or dispatch, send out)` for a word the synonym table has other ways to say. */
function withSynonyms(t: Term): string {
  const entry = Object.entries(SYNONYMS).find(([canonical]) => stem(canonical) === t.key);
  return entry
    ? `"${t.written}" (or ${[entry[0], ...entry[1]].filter((w) => w !== t.written).join(', ')})`
    : `"${t.written}"`;
}

const unique = (terms: readonly Term[]): Term[] =>
  terms.filter((t, i) => terms.findIndex((u) => u.key === t.key) === i);

/** Scores are compared and shown with three decimals, so float noise never flips a decision. */
const round = (n: number): number => Math.round(n * 1000) / 1000;
