import type { DataField } from '@orra/protocol';
import { stem } from './stem.js';
import { isStopword, isValueLike } from './tokenize.js';

/** `{param}` slots of a use-case action, in order (orra's syntax). */
export function slotsOf(template: string): string[] {
  return [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}

/** Field names compare without case or separators: `orderId`, `order_id` and `OrderID` are one name. */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/** One whitespace-separated piece of an action; a quoted phrase is one chunk. */
export interface Chunk {
  text: string;
  isQuoted: boolean;
}

/** Splits an action into chunks, keeping "quoted phrases" whole and trimming punctuation around words. */
export function chunksOf(action: string): Chunk[] {
  const chunks: Chunk[] = [];
  for (const m of action.matchAll(/"([^"]+)"|“([^”]+)”|'([^']+)'(?=\s|$|[.,;:!?])|(\S+)/g)) {
    const quoted = m[1] ?? m[2] ?? m[3];
    if (quoted !== undefined) chunks.push({ text: quoted.trim(), isQuoted: true });
    else {
      const text = (m[4] as string).replace(/^[#([{"'“]+|[)\]}"'”.,;:!?]+$/gu, '');
      if (text) chunks.push({ text, isQuoted: false });
    }
  }
  return chunks;
}

export interface FilledSlots {
  /** Slot → value, from a data field of the same name or from the action text. */
  params: Record<string, unknown>;
  /** Where each value came from. */
  sources: Record<string, 'data' | 'action'>;
  /** Slots without a value. */
  missing: string[];
  /** Values of the action (chunks with a digit, an @ or quotes) that no slot took and no data field holds. */
  unused: string[];
}

/** How far from its anchor word a slot's value may be ("order number ORD1": two chunks). */
const ANCHOR_REACH = 3;

/**
 * Finds a value for each `{param}` of a use-case action:
 *  1. a `data` field with the same name (case and separators ignored);
 *  2. in the action text, next to the same anchor word the template has next to the slot: for
 *     "Refund order {orderId}" the anchor is "order", so "please refund order #ORD1 today" gives ORD1.
 *     The value is the first value-like chunk (it has a digit, an @, or was quoted) within three
 *     chunks after the anchor (or before the word that follows the slot), else the next content word;
 *  3. when exactly one slot is still open and the action has exactly one value-like chunk left, that one.
 * Values from the text stay strings. Multi-word values must be quoted or sent as data.
 */
export function fillSlots(template: string, action: string, data: DataField[] | null): FilledSlots {
  const params: Record<string, unknown> = {};
  const sources: Record<string, 'data' | 'action'> = {};
  const chunks = chunksOf(action);
  const claimed = new Set<number>();
  const templateStems = new Set(
    template
      .replace(/\{[^}]+\}/g, ' ')
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean)
      .map(stem),
  );
  // Chunks that are data values are already accounted for by the data.
  const dataTexts = new Set((data ?? []).map((d) => String(typeof d.value === 'object' ? JSON.stringify(d.value) : d.value)));
  chunks.forEach((c, i) => dataTexts.has(c.text) && claimed.add(i));

  const slots = slotsOf(template);
  for (const slot of slots) {
    const field = (data ?? []).find((d) => normalizeName(d.field) === normalizeName(slot));
    if (field) {
      params[slot] = field.value;
      sources[slot] = 'data';
    }
  }
  const isValue = (c: Chunk) => c.isQuoted || isValueLike(c.text);
  const isCandidate = (i: number) => {
    const c = chunks[i];
    return c !== undefined && !claimed.has(i) && !(isStopword(c.text) && !c.isQuoted) && !templateStems.has(stem(c.text));
  };
  const pick = (indexes: number[]): number | undefined =>
    indexes.find((i) => isCandidate(i) && isValue(chunks[i] as Chunk)) ?? indexes.find((i) => isCandidate(i));

  for (const slot of slots) {
    if (Object.hasOwn(params, slot)) continue;
    const { before, after } = anchorsOf(template, slot);
    let found: number | undefined;
    const anchorAt = before === undefined ? -1 : chunks.findIndex((c) => !c.isQuoted && stem(c.text) === before);
    if (anchorAt >= 0) found = pick(range(anchorAt + 1, Math.min(chunks.length, anchorAt + 1 + ANCHOR_REACH)));
    if (found === undefined && after !== undefined) {
      const at = chunks.findIndex((c) => !c.isQuoted && stem(c.text) === after);
      if (at > 0) found = pick(range(Math.max(0, at - ANCHOR_REACH), at).reverse());
    }
    if (found !== undefined) {
      claimed.add(found);
      params[slot] = (chunks[found] as Chunk).text;
      sources[slot] = 'action';
    }
  }
  const open = slots.filter((s) => !Object.hasOwn(params, s));
  const loose = chunks.map((c, i) => i).filter((i) => !claimed.has(i) && isValue(chunks[i] as Chunk));
  if (open.length === 1 && loose.length === 1) {
    params[open[0] as string] = (chunks[loose[0] as number] as Chunk).text;
    sources[open[0] as string] = 'action';
    claimed.add(loose[0] as number);
    open.length = 0;
  }
  const unused = chunks.filter((c, i) => !claimed.has(i) && isValue(c)).map((c) => c.text);
  return { params, sources, missing: open, unused };
}

/** The nearest content words of the template before and after a slot, as stems. */
function anchorsOf(template: string, slot: string): { before?: string; after?: string } {
  const at = template.indexOf(`{${slot}}`);
  const contentWords = (text: string) =>
    text
      .replace(/\{[^}]+\}/g, ' ')
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w && !isStopword(w));
  const before = contentWords(template.slice(0, at)).at(-1);
  const after = contentWords(template.slice(at + slot.length + 2))[0];
  return { ...(before ? { before: stem(before) } : {}), ...(after ? { after: stem(after) } : {}) };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
