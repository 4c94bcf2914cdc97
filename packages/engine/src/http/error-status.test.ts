import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '@orra/protocol';
import { describe, expect, it } from 'vitest';
import { HTTP_STATUS } from './error-status.js';

const docs = readFileSync(fileURLToPath(new URL('../../../../docs/errors.md', import.meta.url)), 'utf8');

describe('error codes', () => {
  it('lists every error code in docs/errors.md with its HTTP status', () => {
    for (const code of Object.values(ERROR_CODES)) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${code}\``));
      expect(row, `${code} missing from docs/errors.md`).toBeDefined();
      expect(row).toContain(`| ${HTTP_STATUS[code]} |`);
    }
  });
});
