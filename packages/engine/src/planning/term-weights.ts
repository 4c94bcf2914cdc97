/**
 * Lexical similarity by IDF-weighted term overlap.
 *
 * Each text is a *set* of stems (actions and descriptions are short: how often a word repeats says
 * little). A stem weighs its smoothed inverse document frequency over a small corpus — the project's
 * services when matching capabilities — so words that tell the items apart ("refund", "delivery") count
 * more than words they all share ("order"). An empty corpus weighs every stem 1, which is how the
 * use-case matcher scores: there, a weight that changes with the number of use cases would make the
 * same action match with one use case and not with three:
 *
 *     idf(t) = ln((N + 1) / (df(t) + 1)) + 1        (a stem outside the corpus gets the largest weight)
 *
 * `coverScore(needed, offered)` asks how well `offered` covers `needed`:
 *
 *     recall    = w(needed ∩ offered) / w(needed)      — how much of what is needed is there
 *     precision = w(needed ∩ offered) / w(offered)     — how much of what is offered is relevant
 *     score     = F_β = (1 + β²)·P·R / (β²·P + R),  β = 2
 *
 * β = 2 weighs recall four times as much as precision: an action may carry extra words ("the item
 * arrived broken") without losing its use case, but an action missing the use case's key words scores
 * low. Scores are in [0, 1].
 */
export class TermWeights {
  private readonly documentFrequency = new Map<string, number>();
  private readonly documentCount: number;

  constructor(documents: readonly (readonly string[])[]) {
    this.documentCount = documents.length;
    for (const doc of documents) {
      for (const term of new Set(doc)) this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
    }
  }

  idf(term: string): number {
    return Math.log((this.documentCount + 1) / ((this.documentFrequency.get(term) ?? 0) + 1)) + 1;
  }

  private weight(terms: ReadonlySet<string>): number {
    let sum = 0;
    for (const t of terms) sum += this.idf(t);
    return sum;
  }

  coverScore(needed: readonly string[], offered: readonly string[], beta = 2): number {
    const need = new Set(needed);
    const offer = new Set(offered);
    if (need.size === 0 || offer.size === 0) return 0;
    const common = new Set([...need].filter((t) => offer.has(t)));
    const overlap = this.weight(common);
    if (overlap === 0) return 0;
    const recall = overlap / this.weight(need);
    const precision = overlap / this.weight(offer);
    const b2 = beta * beta;
    return ((1 + b2) * precision * recall) / (b2 * precision + recall);
  }
}
