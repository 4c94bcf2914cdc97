import { describe, expect, it } from 'vitest';
import type { LookupAddress } from 'node:dns';
import { SsrfPolicy, SsrfRefusedError } from './ssrf-policy.js';

/** Calls the policy's connection lookup the way net.connect does, and returns what it answered. */
function lookupWith(policy: SsrfPolicy, hostname: string, all: boolean) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((resolve) =>
    policy.lookup(hostname, { all }, (err, address, family) => resolve({ err, address, family })),
  );
}

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
  it('refuses every address of the always-refused lists, whatever the private setting', () => {
    for (const ip of ['169.254.255.255', 'fe80::abcd', 'febf::1', 'fd00:ec2::254', '100.100.100.200', '::ffff:100.100.100.200']) {
      expect(open.refusalFor(ip), ip).toBe(`${ip} is a link-local or cloud-metadata address, where webhooks are never sent; use an address of the receiver`);
    }
    for (const ip of ['169.253.255.255', '169.255.0.1', 'fec0::1', 'fd00:ec2::253', '100.100.100.201']) expect(open.refusalFor(ip), ip).toBeUndefined();
  });

  it('names the setting that allows private addresses in the refusal', () => {
    expect(strict.refusalFor('10.1.2.3')).toBe(
      '10.1.2.3 is a loopback or private address, refused while ORRA_WEBHOOK_DENY_PRIVATE is on; use a public address of the receiver, or set ORRA_WEBHOOK_DENY_PRIVATE=false on the engine',
    );
    for (const ip of ['::', 'fc00::1', 'fdff::1', '::ffff:10.20.30.40', '::FFFF:192.168.100.200']) expect(strict.refusalFor(ip), ip).toMatch(/loopback or private/);
    // Only an address that IS an IPv4-mapped one is read as its IPv4 part.
    for (const ip of ['fe00::1', '::2', '1::ffff:10.0.0.1', '::ffff:8.8.8.8']) expect(strict.refusalFor(ip), ip).toBeUndefined();
  });

  it('reads a bracketed IPv6 host as the address, and leaves names to DNS', async () => {
    expect(strict.refusalForHost('[::1]')).toMatch(/^::1 is a loopback/);
    expect(strict.refusalForHost('::1')).toMatch(/^::1 is a loopback/);
    expect(strict.refusalForHost('[2606:4700::1111]')).toBeUndefined();
    expect(strict.refusalForHost('localhost')).toBeUndefined();
    expect(strict.refusalForHost('x[::1]')).toBeUndefined();
    expect(await strict.refusalForName('[::1]')).toMatch(/^::1 is a loopback/);
    expect(await strict.refusalForName('127.0.0.1')).toMatch(/^127\.0\.0\.1 is a loopback/);
    // An allowed literal is not looked up in DNS (nothing answers for it here).
    expect(await strict.refusalForName('[2606:4700::1111]', 1)).toBeUndefined();
  });

  it('allows a name that does not resolve now (it is checked again at every send)', async () => {
    expect(await strict.refusalForName('no-such-host.invalid', 500)).toBeUndefined();
  });

  it('gives connections only allowed addresses, and fails with the refusal when none is left', async () => {
    const refused = await lookupWith(strict, 'localhost', false);
    expect(refused.err).toBeInstanceOf(SsrfRefusedError);
    expect(refused.err).toMatchObject({ code: 'ERR_WEBHOOK_ADDRESS_REFUSED', name: 'SsrfRefusedError' });
    expect(refused.err?.message).toMatch(/^refused by the webhook address policy: localhost resolves to (127\.0\.0\.1|::1), a loopback or private address/);
    expect(refused.address).toBe('');
    expect((await lookupWith(strict, 'localhost', true)).address).toEqual([]);

    const one = await lookupWith(open, 'localhost', false);
    expect(one.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(one.address);
    expect(one.family).toBe(one.address === '::1' ? 6 : 4);
    const all = await lookupWith(open, 'localhost', true);
    expect(all.err).toBeNull();
    expect((all.address as LookupAddress[]).map((a) => a.address)).toContain('127.0.0.1');
  });

  it('passes a resolver failure on unchanged', async () => {
    const failed = await lookupWith(strict, 'no-such-host.invalid', false);
    expect(failed.err).not.toBeInstanceOf(SsrfRefusedError);
    expect(failed.err?.code).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(failed.address).toBe('');
    expect((await lookupWith(strict, 'no-such-host.invalid', true)).address).toEqual([]);
  });
  it('allows a name whose resolver does not answer in time, and refuses a connection to a name with no address', async () => {
    const stalled = new SsrfPolicy(true, (() => undefined) as never);
    const started = Date.now();
    expect(await stalled.refusalForName('slow.example', 50)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    const empty = new SsrfPolicy(true, ((_host: string, _options: unknown, callback: (err: null, addresses: LookupAddress[]) => void) =>
      callback(null, [])) as never);
    const none = await lookupWith(empty, 'empty.example', false);
    expect(none.err?.message).toBe('refused by the webhook address policy: empty.example resolves to no address');
  });
  it('refuses a name when any address it resolves to is refused, naming that address', async () => {
    const mixed = new SsrfPolicy(true, ((_host: string, _options: unknown, callback: (err: null, addresses: LookupAddress[]) => void) =>
      callback(null, [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ])) as never);
    expect(await mixed.refusalForName('mixed.example')).toMatch(/^mixed\.example resolves to 10\.0\.0\.7, a loopback or private address/);
    const fine = await lookupWith(mixed, 'mixed.example', false);
    expect(fine.address).toBe('93.184.216.34');
  });
});
