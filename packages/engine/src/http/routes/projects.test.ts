import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './projects.js';

// Hosts an engine can listen on but a test machine cannot (a name resolving elsewhere, another IPv6
// address): whether registration is open there is decided by this test alone.
describe('isLoopbackHost (POST /register/project is open only on loopback without ORRA_ADMIN_TOKEN)', () => {
  it.each(['127.0.0.1', '127.0.0.53', '::1', 'localhost'])('takes %s as loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '0.0.0.0',
    '10.127.0.1',
    'db127.example.com',
    '::',
    '::10',
    '::1:2',
    'localhost.example.com',
    'notlocalhost',
  ])('takes %s as reachable from elsewhere', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
