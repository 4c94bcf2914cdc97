/** Characters a POSIX shell passes through unquoted. */
const PLAIN = /^[A-Za-z0-9_./:@%+=,-]+$/;

/**
 * A word as it must be typed in a shell command the CLI suggests: unchanged when it is plain, else in
 * single quotes (a quote inside becomes `'\''`), so a hint such as `orra projects use 'my shop'` works
 * when pasted.
 */
export function shellQuote(word: string): string {
  return PLAIN.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
