import { stem } from './stem.js';

/**
 * Words that say nothing about *what* is asked: articles, pronouns, auxiliaries, and the polite or
 * generic request verbs ("please", "process", "handle", "want") that any action may start with. Leaving
 * them out keeps "Process refund for order X" and "Refund order X" equally close to the use case.
 */
const STOPWORDS = new Set(
  `a an the and or but if then else of for to from in on at by with without about into onto over under
   as is are was were be been being am do does did done doing have has had having will would shall should
   can could may might must i me my mine we us our ours you your yours he him his she her hers it its they
   them their theirs this that these those there here what which who whom whose when where why how
   all any some each every entire whole no not only just also so than too very up out off again
   please kindly process handle perform execute run do make get want wants need needs like would let
   help request requests know tell ask asks wonder wondering`.split(/\s+/),
);

/** One word of a text: its stem (the matching key) and how it was written. */
export interface Token {
  stem: string;
  text: string;
}

/**
 * Splits text into words: on anything that is not a letter or digit, and on camelCase and
 * snake/kebab-case boundaries ("orderId" → order, id), so field and service names match prose.
 */
export function words(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/** The content words of a text as stems; stopwords removed, order kept, duplicates kept (term frequency). */
export function tokenize(text: string): string[] {
  return words(text)
    .map((w) => w.toLowerCase())
    .filter((w) => !STOPWORDS.has(w))
    .map(stem);
}

/** True for stopwords (used when looking for the words around a `{param}` slot). */
export const isStopword = (word: string): boolean => STOPWORDS.has(word.toLowerCase());

/**
 * Values, not words: anything with a digit (ORD1, 42, 2025-05-01) or an e-mail-like shape. Such tokens
 * of an action are the parameters it carries, so they are left out of similarity scoring.
 */
export const isValueLike = (word: string): boolean => /\d/.test(word) || word.includes('@');
