import { stem } from './stem.js';

/**
 * Verbs that name an operation an action can ask for. The use-case matcher refuses an action that uses
 * one of them when its use case does not: "Cancel the shipment of order ORD1" shares "ship" and "order"
 * with "Ship order {orderId}", but asks for something else. A closed list, so the matcher stays
 * predictable; a word missing here only loses that protection (the action must still contain every word
 * of the use case). Words mostly used as nouns in requests ("order", "credit", "rate", "report") are left
 * out, and so are verbs that describe what happened rather than ask for work ("arrive", "deliver",
 * "break"): "I want my money back, it arrived broken" is a refund.
 */
export const OPERATION_VERBS: ReadonlySet<string> = new Set(
  `accept activate add approve archive assign authorize block book buy calculate cancel change charge check
   close confirm create deactivate decline delay delete deny disable downgrade enable escalate estimate
   exchange extend freeze generate hold invoice lock notify pause pay postpone publish refund register
   reject release remind renew reopen replace reschedule reset restock restore resume return revoke
   schedule sell send ship skip stop submit subscribe suspend track transfer unblock unlock unsubscribe
   update upgrade withdraw`.split(/\s+/),
);

/** Forms the stemmer does not bring back to their verb. */
const IRREGULAR = new Map(
  Object.entries({
    sent: 'send',
    paid: 'pay',
    held: 'hold',
    bought: 'buy',
    sold: 'sell',
    withdrew: 'withdraw',
    withdrawn: 'withdraw',
    cancelled: 'cancel',
    cancelling: 'cancel',
    authorise: 'authorize',
    authorised: 'authorize',
    authorising: 'authorize',
  }),
);

const VERB_BY_STEM = new Map([...OPERATION_VERBS].map((v) => [stem(v), v]));

/**
 * Nouns made from verbs: "shipment", "payment", "cancellation", "approval" name a thing, not a request
 * to do it ("Refund the payment" asks for a refund), so they never count as an operation verb.
 */
const NOUN_SUFFIX = /(?:ments?|ations?|als?)$/;

/** The word with irregular verb forms replaced by their base form ("sent" → "send"); others unchanged. */
export const baseForm = (word: string): string => IRREGULAR.get(word) ?? word;

/** True when the (lower-case) word is written as a noun derived from a verb: "shipment", "approval". */
export const isDerivedNoun = (word: string): boolean => NOUN_SUFFIX.test(word);

/** The operation verb a lower-case word is a form of ("shipping", "shipped" → "ship"), if any. */
export function operationVerbOf(word: string): string | undefined {
  const irregular = IRREGULAR.get(word);
  if (irregular !== undefined) return OPERATION_VERBS.has(irregular) ? irregular : undefined;
  if (isDerivedNoun(word)) return undefined;
  return VERB_BY_STEM.get(stem(word));
}
