import { describe, expect, it } from 'vitest';
import { boundResponseHeaders, DROPPED_HEADERS_KEY } from './response-headers.js';

describe('response headers kept with an attempt', () => {
  it('keeps them all when few and small, joining a repeated header', () => {
    expect(boundResponseHeaders({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], skipped: undefined })).toEqual({
      'content-type': 'text/plain',
      'set-cookie': 'a=1, b=2',
    });
  });

  it('keeps the first 32 and counts the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-h${i}`, 'v']));
    const kept = boundResponseHeaders(many);
    expect(Object.keys(kept)).toHaveLength(33);
    expect(kept['x-h31']).toBe('v');
    expect(kept['x-h32']).toBeUndefined();
    expect(kept[DROPPED_HEADERS_KEY]).toBe('68 more not kept (limit 32 headers, 4096 bytes)');
  });

  it('keeps at most 4 KB of names and values, skipping a header too large but keeping later small ones', () => {
    const kept = boundResponseHeaders({ a: 'x'.repeat(3000), big: 'y'.repeat(2000), c: 'z' });
    expect(Object.keys(kept)).toEqual(['a', 'c', DROPPED_HEADERS_KEY]);
    expect(kept[DROPPED_HEADERS_KEY]).toMatch(/^1 more not kept/);
  });
});
