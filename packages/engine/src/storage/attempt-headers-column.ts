/**
 * An attempt's headers as stored: a JSON object in a nullable TEXT column (migration 20), one
 * JSON.stringify per header set at insert, in the attempt's existing INSERT. Attempts recorded before the
 * migration have NULL, read back as null.
 */
export function headersJson(headers: Record<string, string> | null | undefined): string | null {
  return headers ? JSON.stringify(headers) : null;
}

export function headersOf(column: unknown): Record<string, string> | null {
  return typeof column === 'string' ? (JSON.parse(column) as Record<string, string>) : null;
}
