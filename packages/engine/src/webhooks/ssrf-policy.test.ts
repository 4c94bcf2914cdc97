import { describe, expect, it } from 'vitest';
import { SsrfPolicy } from './ssrf-policy.js';

describe('webhook address policy', () => {
  const open = new SsrfPolicy(false);
  const strict = new SsrfPolicy(true);

  it('always refuses link-local and cloud-metadata addresses', () => {
    for (const ip of ['169.254.169.254', '169.254.0.1', 'fe80::1', '::ffff:169.254.169.254', 'fd00:ec2::254']) {
      expect(open.refusalFor(ip), ip).toMatch(/link-local or cloud-metadata/);
    }
    expect(open.refusalForHost('[fe80::1]')).toBeDefined();
  });

  it('refuses loopback and private ranges only when asked to', () => {
    for (const ip of ['127.0.0.1', '10.0.0.8', '172.20.1.1', '192.168.1.1', '::1', 'fd12::1', '::ffff:127.0.0.1', '0.0.0.0', '100.64.0.1']) {
      expect(open.refusalFor(ip), ip).toBeUndefined();
      expect(strict.refusalFor(ip), ip).toMatch(/loopback or private/);
    }
    for (const ip of ['93.184.216.34', '2606:4700::1111', '172.32.0.1']) expect(strict.refusalFor(ip), ip).toBeUndefined();
  });

  it('checks the names a host resolves to', async () => {
    expect(await strict.refusalForName('localhost')).toMatch(/localhost resolves to .* loopback/);
    expect(await open.refusalForName('localhost')).toBeUndefined();
  });
});
