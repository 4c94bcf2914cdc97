/**
 * A light English stemmer for matching actions, use cases and service descriptions. It only has to map
 * the forms people write for the same idea onto one key ("refund", "refunds", "refunded", "refunding";
 * "deliver", "delivered", "delivery"; "notify", "notified", "notification"), the same way on both sides
 * of a comparison. It is deliberately smaller than Porter's: fewer rules means fewer surprising merges,
 * and an operator can predict it from this list.
 *
 * Rules, applied in order, each only when at least `MIN_STEM` letters remain:
 *  1. plurals and 3rd person: -ies → -y, -sses → -ss, -s → "" (not after s, u or i: "address", "status", "analysis")
 *  2. -ing, -ed → "" (with -ied → -y first); a doubled final consonant is undoubled ("shipped" → "ship")
 *  3. -ication → -y, -ation → -ate, -ment → "", -al → "" (4+ letters left), -ly → ""
 *  4. a final -y or -e → ""
 */
const MIN_STEM = 3;
const VOWEL = /[aeiouy]/;

export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length <= MIN_STEM || /\d/.test(w)) return w;
  const cut = (suffix: string, replacement = '', min = MIN_STEM): boolean => {
    if (!w.endsWith(suffix) || w.length - suffix.length + replacement.length < min) return false;
    w = w.slice(0, w.length - suffix.length) + replacement;
    return true;
  };
  // 1. plurals
  if (!cut('ies', 'y') && !cut('sses', 'ss') && /[^sui]s$/.test(w)) cut('s');
  // 2. verb endings
  if (cut('ied', 'y') || (VOWEL.test(w.slice(0, -3)) && cut('ing')) || (VOWEL.test(w.slice(0, -2)) && cut('ed'))) {
    if (/([^aeiouslz])\1$/.test(w)) w = w.slice(0, -1);
  }
  // 3. derivations
  if (!cut('ication', 'y') && !cut('ation', 'ate') && !cut('ment') && !cut('al', '', 4)) cut('ly');
  // 4. final vowel
  if (!cut('y')) cut('e');
  return w;
}
