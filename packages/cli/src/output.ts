import { statusLabel, statusStyle, type Tone } from './format.js';

/** A stream the CLI writes to (process.stdout in real use). */
export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** A table column: header and width (orra pads each column to a fixed width). */
export interface Column {
  header: string;
  width: number;
}

/** A table cell: plain text, or text shown in a tone on a colour terminal. */
export type Cell = string | { text: string; tone: Tone };

const ANSI: Record<Exclude<Tone, 'plain'> | 'bold' | 'dim', [number, number]> = {
  good: [32, 39],
  bad: [31, 39],
  busy: [36, 39],
  warn: [33, 39],
  bold: [1, 22],
  dim: [2, 22],
};

/**
 * Colour only on a terminal, never with `NO_COLOR` (https://no-color.org: any non-empty value) or
 * `--no-color`, so scripts and logs get plain text.
 */
export function shouldColor(stream: OutStream, env: NodeJS.ProcessEnv, isColorFlag: boolean): boolean {
  if (!isColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/** Everything the CLI prints goes through here: data on stdout, diagnostics on stderr. */
export class Output {
  constructor(
    private readonly stdout: OutStream,
    private readonly stderr: OutStream,
    readonly isColor: boolean,
  ) {}

  /** One line on stdout. */
  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** A JSON document on stdout (for `--json`): pretty, so it reads well and still parses. */
  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value ?? null, null, 2)}\n`);
  }

  /** One line on stderr (warnings, progress, errors). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** `text` in a tone, when colour is on. */
  paint(text: string, tone: Tone | 'bold' | 'dim'): string {
    if (!this.isColor || tone === 'plain') return text;
    const [open, close] = ANSI[tone];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }

  /** A status with orra's icon (`✕ Failed`), coloured by its tone. */
  status(status: string): Cell {
    return { text: statusLabel(status), tone: statusStyle(status).tone };
  }

  /** `✓ message` (green on a terminal). */
  success(text: string): void {
    this.line(`${this.paint('✓', 'good')} ${text}`);
  }

  /** A cell as text, painted. */
  cell(cell: Cell): string {
    return typeof cell === 'string' ? cell : this.paint(cell.text, cell.tone);
  }

  /** `┌─ Title`, then `│ `-prefixed lines, then `└─────` (orra's sections). */
  section(title: string, body: string[]): void {
    this.line(`┌─ ${this.paint(title, 'bold')}`);
    for (const text of body) this.line(text === '' ? '│' : `│ ${text}`);
    this.line('└─────');
  }

  /** Table rows in orra's layout: padded columns, a rule under the header. Returns section body lines. */
  tableLines(columns: Column[], rows: Cell[][]): string[] {
    const lines = [
      columns
        .map((c) => pad(c.header, c.width))
        .join(' ')
        .trimEnd(),
    ];
    lines.push('─'.repeat(columns.reduce((sum, c) => sum + c.width, columns.length + 1)));
    for (const row of rows) {
      const cells = columns.map((c, i) => {
        const cell = row[i] ?? '';
        const text = typeof cell === 'string' ? cell : cell.text;
        const padded = pad(text, c.width);
        return typeof cell === 'string' ? padded : this.paint(text, cell.tone) + padded.slice(text.length);
      });
      lines.push(cells.join(' ').trimEnd());
    }
    return lines;
  }
}

/** Pads to `width` characters (code points, as Go's `%-Ns` counts runes). */
function pad(text: string, width: number): string {
  const length = [...text].length;
  return length >= width ? text : text + ' '.repeat(width - length);
}
