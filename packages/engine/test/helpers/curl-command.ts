import type { ApiResponse } from './api.js';

/** One `curl` command of a doc example, as curl would send it. */
export interface CurlCommand {
  method: string;
  /** Path and query, e.g. `/webhooks/wh_1/recover`. */
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * Reads the `curl` commands of a shell example: words split as sh splits them (single and double quotes,
 * `\` line continuations, `$NAME` expanded from `env` outside single quotes), one command per line.
 * Understands the flags the docs use: `-s`, `-X`, `-H`, `-d`. Like curl, `-d` makes the method POST and
 * the content type `application/x-www-form-urlencoded` unless a header says otherwise.
 */
export function parseCurlCommands(script: string, env: Record<string, string> = {}): CurlCommand[] {
  return splitCommands(script, env)
    .filter((words) => words[0] === 'curl')
    .map((words) => {
      let method: string | undefined;
      let url: string | undefined;
      let body: string | undefined;
      const headers: Record<string, string> = {};
      for (let i = 1; i < words.length; i++) {
        const w = words[i]!;
        if (w === '-s' || w === '--silent') continue;
        if (w === '-X' || w === '--request') method = words[++i];
        else if (w === '-H' || w === '--header') {
          const h = words[++i] ?? '';
          const colon = h.indexOf(':');
          headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
        } else if (w === '-d' || w === '--data') body = words[++i];
        else if (w.startsWith('-')) throw new Error(`curl flag ${w} is not understood by this test helper`);
        else url = w;
      }
      if (!url) throw new Error(`curl without a URL: ${words.join(' ')}`);
      if (body !== undefined) headers['content-type'] ??= 'application/x-www-form-urlencoded';
      const parsed = new URL(/^https?:\/\//.test(url) ? url : `http://${url}`);
      return {
        method: method ?? (body === undefined ? 'GET' : 'POST'),
        path: parsed.pathname + parsed.search,
        headers,
        body,
      };
    });
}

/** Sends a parsed curl command to `baseUrl` (the engine under test) instead of the host it names. */
export async function sendCurl(command: CurlCommand, baseUrl: string): Promise<ApiResponse> {
  const res = await fetch(baseUrl + command.path, {
    method: command.method,
    headers: command.headers,
    body: command.body,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body, headers: res.headers };
}

/** The words of one command line, split as sh splits them (quotes, `\` continuations, comments). */
export function shellWords(command: string, env: Record<string, string> = {}): string[] {
  return splitCommands(command, env)[0] ?? [];
}

function splitCommands(script: string, env: Record<string, string>): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const expand = (text: string, i: number): [string, number] => {
    const m = /^\$(\w+)/.exec(text.slice(i));
    if (!m) return ['$', i + 1];
    if (!(m[1]! in env)) throw new Error(`the example uses $${m[1]}, which the test does not set`);
    return [env[m[1]!]!, i + m[0].length];
  };
  for (let i = 0; i < script.length;) {
    const c = script[i]!;
    if (c === '\\' && script[i + 1] === '\n') {
      i += 2;
    } else if (c === '\n') {
      endWord();
      if (words.length > 0) commands.push(words);
      words = [];
      i += 1;
    } else if (c === '#' && word === undefined) {
      while (i < script.length && script[i] !== '\n') i += 1; // a comment
    } else if (/\s/.test(c)) {
      endWord();
      i += 1;
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote in a shell example');
      word = (word ?? '') + script.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      word ??= '';
      for (i += 1; i < script.length && script[i] !== '"';) {
        if (script[i] === '$') {
          const [value, next] = expand(script, i);
          word += value;
          i = next;
        } else if (script[i] === '\\' && /["\\$`]/.test(script[i + 1] ?? '')) {
          word += script[i + 1];
          i += 2;
        } else word += script[i++];
      }
      i += 1;
    } else if (c === '$') {
      const [value, next] = expand(script, i);
      word = (word ?? '') + value;
      i = next;
    } else {
      word = (word ?? '') + c;
      i += 1;
    }
  }
  endWord();
  if (words.length > 0) commands.push(words);
  return commands;
}
