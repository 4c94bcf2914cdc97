import { baseForm } from './operation-verbs.js';
import { stem } from './stem.js';

/**
 * Words and phrases that mean the same as a word a use case is likely to use, in the sense an action
 * about orders, payments and accounts gives them. Both the action and the use case are read through
 * this table, so "Dispatch order ORD1" and "Send out order ORD1" are "Ship order ORD1", and "I want my
 * money back" says "refund". Deliberately small and unambiguous: "send" alone is not "ship" ("send an
 * email"), nor "remove" "cancel". A phrasing your users have that is not here belongs in the use case's
 * intent. Matched by stem, so "dispatched" and "sending out" count too (see stem.ts).
 */
export const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  ship: ['dispatch', 'send out'],
  refund: ['reimburse', 'money back', 'pay back'],
  cancel: ['call off', 'annul'],
  track: ['trace'],
  deliver: ['arrive'],
  notify: ['inform', 'alert'],
  buy: ['purchase'],
  delete: ['remove', 'erase'],
  change: ['modify', 'alter', 'amend', 'edit'],
  book: ['reserve'],
  return: ['send back'],
  stop: ['halt'],
  postpone: ['defer', 'put off'],
};

const keyOf = (word: string): string => stem(baseForm(word));

/** Each variant as the keys of its words, longest first, so "send back" wins over a shorter match. */
const VARIANTS = Object.entries(SYNONYMS)
  .flatMap(([canonical, variants]) => variants.map((v) => ({ canonical, keys: v.split(' ').map(keyOf) })))
  .sort((a, b) => b.keys.length - a.keys.length);

/** The synonym that starts at `words[at]` (lower-case words), with how many words it spans. */
export function synonymAt(
  words: readonly string[],
  at: number,
): { canonical: string; length: number } | undefined {
  const found = VARIANTS.find((v) =>
    v.keys.every((k, i) => words[at + i] !== undefined && keyOf(words[at + i] as string) === k),
  );
  return found && { canonical: found.canonical, length: found.keys.length };
}
