import { shellWords } from '../../../engine/test/helpers/curl-command.js';

/**
 * Terminal transcripts as docs/cli.md shows them (`$ orra …` followed by what it prints), checked
 * against what the built `orra` really prints.
 *
 * The document's ids, keys and secrets are examples: each is bound to the real value printed at the
 * same place the first time it appears, and must stand for that same value everywhere after (so an id
 * printed by `add` is the one a later `rm` acts on). Times, ages and durations match any value of their
 * kind, `…` matches anything, column padding is not compared, and a line holding only `…` (inside a
 * box or not) stands for lines left out. Everything else must be printed as documented, line for line.
 */

/** One `$ orra …` command of a transcript and the output lines shown under it. */
export interface TranscriptStep {
  command: string;
  args: string[];
  expected: string[];
}

/** The steps of a code block; lines before the first `$` are not part of any step. */
export function transcriptSteps(text: string): TranscriptStep[] {
  const steps: TranscriptStep[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) {
      const words = shellWords(line.slice(2));
      if (words[0] !== 'orra') throw new Error(`not an orra command: ${line}`);
      steps.push({ command: line.slice(2), args: words.slice(1), expected: [] });
    } else if (steps.length > 0) steps.at(-1)!.expected.push(line);
  }
  return steps;
}

/** Kinds of example values, in the order they are tried. `bind`: the same example means the same value. */
const KINDS: { re: RegExp; bind: boolean }[] = [
  { re: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/, bind: false }, // RFC 3339 time
  { re: /whsec_[A-Za-z0-9+/=]+/, bind: true },
  { re: /sk-orra-v1-[0-9a-f]+/, bind: false }, // shown abbreviated (`sk-orra-v1-41651cf4…`)
  { re: /\b(?:p|s|o|c|wh|e)_[A-Za-z0-9]{8,}/, bind: true }, // ids
  { re: /\b\d{9,}\b/, bind: true }, // the time part of an event id
  { re: /\b[0-9a-f]{12}\b/, bind: true }, // an API key id
  { re: /\b\d\d:\d\d:\d\d\b/, bind: false }, // a clock time
  { re: /\bjust now\b|\b\d+(?:\.\d+)?(?:ms|s|m|h|d)(?: ago)?\b/, bind: false }, // an age or a duration
];
const KIND_ACTUAL: Record<string, string> = {
  [KINDS[6]!.re.source]: '\\d\\d:\\d\\d:\\d\\d',
  [KINDS[7]!.re.source]: 'just now|\\d+(?:\\.\\d+)?(?:ms|s|m|h|d)(?: ago)?',
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isGap = (line: string) => /^[│┌└\s]*…\s*$/.test(line);

/** Example values (from the document) and the real values they stand for. */
export class Bindings {
  readonly values = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) this.values.set(k, v);
  }

  set(example: string, actual: string): this {
    this.values.set(example, actual);
    return this;
  }

  /** A copy with some bindings replaced (for a step whose example id means something else). */
  with(overrides: Record<string, string>): Bindings {
    const copy = new Bindings();
    for (const [k, v] of this.values) copy.values.set(k, v);
    for (const [k, v] of Object.entries(overrides)) copy.values.set(k, v);
    return copy;
  }

  /** A command's words with every bound example replaced by its real value. */
  fill(text: string): string {
    let out = text;
    for (const [k, v] of [...this.values].sort((a, b) => b[0].length - a[0].length))
      out = out.replaceAll(k, v);
    return out;
  }

  /**
   * Matches one documented line against one real line, binding the examples it meets. Returns false
   * (binding nothing) when they differ.
   */
  matchLine(documented: string, actual: string): boolean {
    const bound = [...this.values.keys()].sort((a, b) => b.length - a.length).map(escape);
    const token = new RegExp(
      [
        `(${bound.length ? bound.join('|') : '(?!)'})`,
        ...KINDS.map((k) => `(${k.re.source})`),
        '(…)',
        '(─{3,})',
        '(\\s+)',
      ].join('|'),
      'g',
    );
    let pattern = '';
    const captured: (string | undefined)[] = [];
    let at = 0;
    const line = documented.trimEnd();
    for (const m of line.matchAll(token)) {
      pattern += escape(line.slice(at, m.index));
      at = m.index + m[0].length;
      const kind = m.slice(2, 2 + KINDS.length).findIndex((g) => g !== undefined);
      if (m[1] !== undefined) pattern += escape(this.values.get(m[1])!);
      else if (kind >= 0) {
        const k = KINDS[kind]!;
        const already = captured.indexOf(m[0]);
        if (k.bind && already >= 0) pattern += `\\${already + 1}`;
        else {
          pattern += `(${KIND_ACTUAL[k.re.source] ?? k.re.source.replace(/\\b/g, '')})`;
          captured.push(k.bind ? m[0] : undefined);
        }
        // An abbreviated example (`sk-orra-v1-41651cf4…`) is a prefix of the real value.
        if (line[at] === '…') {
          pattern += '\\S*';
          at += 1;
        }
      } else if (m[0] === '…') pattern += '.*?';
      else if (m[0].startsWith('─')) pattern += '─+';
      else pattern += '\\s+';
    }
    pattern += escape(line.slice(at));
    const found = new RegExp(`^${pattern}$`).exec(actual.trimEnd());
    if (!found) return false;
    captured.forEach((example, i) => {
      if (example !== undefined) this.values.set(example, found[i + 1]!);
    });
    return true;
  }

  /**
   * What differs between the documented output and the real one: each documented line must match the
   * real line at the same place, a gap line (`…`) may stand for any number of real lines, and there
   * may be no real lines beyond the documented ones unless the documentation ends with a gap.
   */
  mismatches(documented: string[], actual: string): string[] {
    const want = documented.map((l) => l.trimEnd());
    while (want.length > 0 && want.at(-1) === '') want.pop();
    const got = actual.replace(/\n$/, '').split('\n');
    const match = (w: number, g: number): boolean => {
      if (w === want.length) return g === got.length;
      if (isGap(want[w]!)) {
        for (let k = g; k <= got.length; k++) if (match(w + 1, k)) return true;
        return false;
      }
      if (g >= got.length) return false;
      const saved = new Map(this.values);
      if (this.matchLine(want[w]!, got[g]!) && match(w + 1, g + 1)) return true;
      this.values.clear();
      for (const [k, v] of saved) this.values.set(k, v);
      return false;
    };
    if (match(0, 0)) return [];
    // Point at the first documented line that is nowhere in the output, for a readable failure.
    const missing = want.filter(
      (w) =>
        !isGap(w) && !got.some((g) => new Bindings().with(Object.fromEntries(this.values)).matchLine(w, g)),
    );
    return [
      ...missing.map((w) => `not printed: ${w}`),
      ...(missing.length === 0
        ? ['the documented lines are printed, but not in this order or with other lines between them']
        : []),
      `printed:\n${actual}`,
    ];
  }
}
