import { describe, expect, it } from 'vitest';
import { parseDataFlag } from './data-flag.js';

describe('parseDataFlag (orra verify run -d)', () => {
  it.each([
    ['orderId:ORD123', { field: 'orderId', value: 'ORD123' }],
    ['qty:2', { field: 'qty', value: '2' }],
    ['url:http://x:8/y', { field: 'url', value: 'http://x:8/y' }],
    ['tags:a, b ,c', { field: 'tags', value: ['a', 'b', 'c'] }],
    ['items:[{"id":"P1","qty":2}]', { field: 'items', value: [{ id: 'P1', qty: 2 }] }],
    ['prefs:{"channel":"email"}', { field: 'prefs', value: { channel: 'email' } }],
    ['empty:', { field: 'empty', value: '' }],
  ])('parses %s', (text, expected) => {
    expect(parseDataFlag(text)).toEqual(expected);
  });

  it.each([['nocolon'], [':value'], ['bad:{"a":}']])('refuses %s as a usage error', (text) => {
    expect(() => parseDataFlag(text)).toThrow(/field:value|JSON/);
  });
});
