import type { Migration } from './migration.js';

/**
 * The Webhooks screen shows each attempt's request and response headers. Both are JSON objects written in
 * the attempt's existing insert; the response's are bounded (32 headers, 4 KB: webhooks/response-headers.ts).
 * Nullable: attempts recorded before this migration have neither.
 */
export const M0020_ATTEMPT_HEADERS: Migration = {
  version: 20,
  name: 'attempt-headers',
  sql: `
      ALTER TABLE webhook_attempts ADD COLUMN request_headers TEXT;
      ALTER TABLE webhook_attempts ADD COLUMN response_headers TEXT;
  `,
};
