import { describe, expect, it } from 'vitest';
import { shellQuote } from './shell-quote.js';

describe('shellQuote', () => {
  it('leaves plain words alone', () => {
    expect(shellQuote('my-app')).toBe('my-app');
    expect(shellQuote('https://orra.example.com:8005/x')).toBe('https://orra.example.com:8005/x');
  });

  it('single-quotes words with spaces or shell characters, escaping quotes inside', () => {
    expect(shellQuote('my shop')).toBe("'my shop'");
    expect(shellQuote("bob's $shop")).toBe("'bob'\\''s $shop'");
    expect(shellQuote('')).toBe("''");
  });
});
