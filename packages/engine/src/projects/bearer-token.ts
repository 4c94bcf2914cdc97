/**
 * The token of an `Authorization: Bearer <token>` header value, or undefined when the header is missing
 * or is not a bearer credential. The scheme is case-insensitive and may be followed by several spaces
 * (RFC 9110 §11.1, §11.4): `bearer sk-orra-…` is the same credential as `Bearer sk-orra-…`.
 */
export function parseBearerToken(header: string | undefined): string | undefined {
  const match = /^bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}
