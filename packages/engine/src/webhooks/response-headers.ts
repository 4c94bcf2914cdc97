/** At most this many response headers are kept in the attempt log. */
export const RESPONSE_HEADER_COUNT_LIMIT = 32;
/** At most this many bytes (UTF-16 code units of names and values) of response headers are kept. */
export const RESPONSE_HEADER_BYTES_LIMIT = 4096;
/**
 * The key that says headers were dropped. Parentheses cannot appear in an HTTP header name (RFC 9110
 * token), so no real header collides with it.
 */
export const DROPPED_HEADERS_KEY = '(dropped)';

/**
 * The response headers an attempt keeps: the first 32 in the order received, 4 KB at most in all; a
 * header repeated (set-cookie) is joined with ", ". What does not fit is counted under `(dropped)`, so a
 * receiver answering with thousands of headers costs the attempt log a few kilobytes at most.
 */
export function boundResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  let count = 0;
  let bytes = 0;
  let dropped = 0;
  for (const name in headers) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = typeof raw === 'string' ? raw : raw.join(', ');
    const size = name.length + value.length;
    if (count >= RESPONSE_HEADER_COUNT_LIMIT || bytes + size > RESPONSE_HEADER_BYTES_LIMIT) {
      dropped += 1;
      continue;
    }
    kept[name] = value;
    count += 1;
    bytes += size;
  }
  if (dropped > 0) kept[DROPPED_HEADERS_KEY] = `${dropped} more not kept (limit ${RESPONSE_HEADER_COUNT_LIMIT} headers, ${RESPONSE_HEADER_BYTES_LIMIT} bytes)`;
  return kept;
}
