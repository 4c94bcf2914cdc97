import { isDerivedNoun, OPERATION_VERBS, operationVerbOf, baseForm } from './operation-verbs.js';
import { chunksOf, type Chunk } from './slot-filler.js';
import { stem } from './stem.js';
import { synonymAt } from './synonyms.js';
import { isStopword, isValueLike, words } from './tokenize.js';

/** One content word of a text, as the use-case matcher compares it. */
export interface Term {
  /** The matching key: the stem, after synonyms and irregular verb forms ("dispatched" → "ship"). */
  key: string;
  /** How the text wrote it ("dispatched", "money back"), for messages. */
  written: string;
  /** The operation verb it is a form of, if any (operation-verbs.ts). */
  verb: string | undefined;
}

/** A text read for matching: its content words in order, and the first word that negates it. */
export interface Phrasing {
  terms: Term[];
  /** The first negating word, in lower case ("don't"). */
  negation: string | undefined;
  /** The first word that makes it conditional ("if", "unless"). */
  condition: string | undefined;
}

/**
 * Words that negate a request: "Do not ship order ORD1" must never run as "Ship order ORD1", and
 * "Ship order ORD1 without charging" cannot run as the use case either, so an action with one of them
 * only matches a phrasing that negates too. "n't" is split off before this list is consulted
 * ("don't" → "do not"); the forms typed without an apostrophe are listed.
 */
const NEGATIONS = new Set(
  `not no never without neither nor none nothing cannot except dont doesnt didnt cant wont isnt arent wasnt
   werent shouldnt wouldnt couldnt mustnt havent hasnt`.split(/\s+/),
);

/** Words that make a request conditional: a plan runs every step, it cannot check "if the card clears". */
const CONDITIONS = new Set(['if', 'unless']);

/**
 * Reads chunks (slot-filler.ts) into terms: negations and conditions are noted and dropped, synonym phrases become
 * their canonical word, stopwords are dropped, and every other word is stemmed. Chunks that are values
 * (`isValue`) are skipped, but "no" before a value is the abbreviation of "number" ("order no. 12").
 */
export function readPhrasing(chunks: readonly Chunk[], isValue: (chunk: Chunk) => boolean): Phrasing {
  const list: string[] = [];
  let negation: string | undefined;
  let condition: string | undefined;
  chunks.forEach((chunk, i) => {
    if (isValue(chunk)) return;
    const lower = chunk.text.toLowerCase();
    const next = chunks[i + 1];
    if (lower === 'no' && next !== undefined && isValueLike(next.text)) return;
    if (NEGATIONS.has(lower) || /n['’]t$/u.test(lower)) negation ??= lower;
    if (CONDITIONS.has(lower)) condition ??= lower;
    list.push(...words(splitNot(chunk.text)).map((w) => w.toLowerCase()));
  });
  const terms: Term[] = [];
  for (let at = 0; at < list.length;) {
    const word = list[at] as string;
    const synonym = synonymAt(list, at);
    if (synonym) {
      const written = list.slice(at, at + synonym.length).join(' ');
      const isVerb = OPERATION_VERBS.has(synonym.canonical) && !isDerivedNoun(written);
      terms.push({ key: stem(synonym.canonical), written, verb: isVerb ? synonym.canonical : undefined });
      at += synonym.length;
      continue;
    }
    at += 1;
    if (!NEGATIONS.has(word) && !CONDITIONS.has(word) && !isStopword(word)) {
      const verb = operationVerbOf(word);
      terms.push({ key: stem(verb ?? baseForm(word)), written: word, verb });
    }
  }
  return { terms, negation, condition };
}

/** "don't" → "do not", "can't" → "can not", "won't" → "will not": the negation becomes a word of its own. */
const splitNot = (text: string): string =>
  text
    .replace(/\bcan['’]t\b/giu, 'can not')
    .replace(/\bshan['’]t\b/giu, 'shall not')
    .replace(/\bwon['’]t\b/giu, 'will not')
    .replace(/n['’]t\b/giu, ' not');

/** Reads a template or intent of a grounding spec: its `{slot}`s are not words. */
export function readSpecText(text: string): Phrasing {
  return readPhrasing(chunksOf(text.replace(/\{[^}]+\}/g, ' ')), () => false);
}
