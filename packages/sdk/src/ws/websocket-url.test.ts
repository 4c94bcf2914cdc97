import { describe, expect, it } from 'vitest';
import { redactWebSocketUrl, toWebSocketUrl } from './websocket-url.js';

describe('toWebSocketUrl', () => {
  it('swaps the scheme, keeps a base path and URL-encodes the query values', () => {
    expect(toWebSocketUrl('http://127.0.0.1:8005', 's_a', 'sk-orra-v1-abc')).toBe(
      'ws://127.0.0.1:8005/ws?serviceId=s_a&apiKey=sk-orra-v1-abc',
    );
    expect(toWebSocketUrl('https://orra.example.com/engine/', 's_a', 'k+/=&')).toBe(
      'wss://orra.example.com/engine/ws?serviceId=s_a&apiKey=k%2B%2F%3D%26',
    );
  });

  it('redacts the query (it carries the key) for logs', () => {
    expect(redactWebSocketUrl('ws://h:1/ws?serviceId=s&apiKey=secret')).toBe('ws://h:1/ws');
  });
});
