import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, so tests can read `README.md` and `docs/*.md`. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A fenced code block: its language tag, its text, and the line its fence opens on (1-based). */
export interface CodeBlock {
  lang: string;
  text: string;
  line: number;
}

/** A heading and everything under it up to the next heading of the same or a higher level. */
export interface MarkdownSection {
  heading: string;
  level: number;
  /** The section's markdown, heading excluded. */
  body: string;
  blocks: CodeBlock[];
  /** `METHOD /path` pairs named in backticks in the heading, e.g. `POST /webhooks`. */
  routes: string[];
}

/**
 * A markdown document read from the repository, with its fenced code blocks and sections, so that tests
 * can run the examples the docs show rather than copies of them.
 */
export class MarkdownDoc {
  /** `path` names the document in messages; `text` is its markdown (or part of it). */
  constructor(
    readonly path: string,
    readonly text: string,
  ) {}

  static read(pathFromRepoRoot: string): MarkdownDoc {
    return new MarkdownDoc(pathFromRepoRoot, readFileSync(REPO_ROOT + pathFromRepoRoot, 'utf8'));
  }

  /** Every fenced block, optionally only those of one language. */
  blocks(lang?: string): CodeBlock[] {
    return codeBlocks(this.text).filter((b) => lang === undefined || b.lang === lang);
  }

  /** Sections at one heading level (`###` is 3). Code fences never start a heading. */
  sections(level: number): MarkdownSection[] {
    const lines = this.text.split('\n');
    const out: MarkdownSection[] = [];
    let current: { heading: string; start: number } | undefined;
    let isInFence = false;
    const close = (end: number) => {
      if (!current) return;
      const body = lines.slice(current.start + 1, end).join('\n');
      const routes = [...current.heading.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`]*)`/g)].map(
        (m) => `${m[1]} ${m[2]}`,
      );
      const blocks = codeBlocks(body).map((b) => ({ ...b, line: b.line + current!.start + 1 }));
      out.push({ heading: current.heading, level, body, blocks, routes });
      current = undefined;
    };
    lines.forEach((line, i) => {
      if (line.startsWith('```')) isInFence = !isInFence;
      if (isInFence) return;
      const m = /^(#{1,6}) (.*)$/.exec(line);
      if (!m) return;
      const headingLevel = m[1]!.length;
      if (headingLevel <= level) close(i);
      if (headingLevel === level) current = { heading: m[2]!, start: i };
    });
    close(lines.length);
    return out;
  }

  /** The one section whose heading contains `text`; throws (naming the document) when there is none. */
  section(text: string, level = 3): MarkdownSection {
    const found = this.sections(level).filter((s) => s.heading.includes(text));
    if (found.length !== 1)
      throw new Error(
        `${this.path}: expected one level-${level} section with "${text}", found ${found.length}`,
      );
    return found[0]!;
  }
}

function codeBlocks(markdown: string): CodeBlock[] {
  const out: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = lines[i]!.indexOf('```');
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++)
      body.push(lines[j]!.slice(Math.min(indent, lines[j]!.search(/\S|$/))));
    out.push({ lang: open[1] ?? '', text: body.join('\n'), line: i + 1 });
    i = j;
  }
  return out;
}

/** A markdown table: its header cells and its body rows, each cell's text trimmed. */
export interface MarkdownTable {
  header: string[];
  rows: string[][];
  /** The line its header is on (1-based, within the markdown it was read from). */
  line: number;
}

/**
 * The tables of a markdown text. Cells are split at `|` outside backticks, so a cell may show
 * `` `pending|resolved` `` as the document does.
 */
export function markdownTables(markdown: string): MarkdownTable[] {
  const lines = markdown.split('\n');
  const out: MarkdownTable[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || !/^\|(\s*:?-+:?\s*\|)+\s*$/.test(lines[i + 1]!)) continue;
    const table: MarkdownTable = { header: tableCells(lines[i]!), rows: [], line: i + 1 };
    for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) table.rows.push(tableCells(lines[i]!));
    out.push(table);
  }
  return out;
}

function tableCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let isInCode = false;
  for (const c of line.trim().replace(/^\||\|$/g, '')) {
    if (c === '`') isInCode = !isInCode;
    if (c === '|' && !isInCode) {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}
