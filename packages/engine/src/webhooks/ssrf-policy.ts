import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Link-local and cloud-metadata addresses: refused always (instance credentials live there). */
const ALWAYS_REFUSED = new BlockList();
ALWAYS_REFUSED.addSubnet('169.254.0.0', 16, 'ipv4');
ALWAYS_REFUSED.addSubnet('fe80::', 10, 'ipv6');
ALWAYS_REFUSED.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
ALWAYS_REFUSED.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata

/** Loopback, private, CGNAT and unspecified addresses: refused when `denyPrivate` is on. */
const PRIVATE = new BlockList();
for (const [net, bits] of [['127.0.0.0', 8], ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10], ['0.0.0.0', 8]] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addAddress('::', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Raised by the connection lookup when every resolved address is refused. */
export class SsrfRefusedError extends Error {
  override readonly name = 'SsrfRefusedError';
  readonly code = 'ERR_WEBHOOK_ADDRESS_REFUSED';
}

/**
 * Which addresses webhooks may reach. Checked when an endpoint is added and, because DNS can change
 * (or be made to change: DNS rebinding), again on the address each connection actually uses.
 */
export class SsrfPolicy {
  /** `resolver` is node:dns's lookup; tests give one that stalls or finds nothing. */
  constructor(
    readonly isPrivateDenied: boolean,
    private readonly resolver: typeof dnsLookup = dnsLookup,
  ) {}

  /** Why `address` (an IP) is refused and what to do instead, or undefined when it is allowed. */
  refusalFor(address: string): string | undefined {
    const why = this.whyRefused(address);
    return why && `${address} is ${why}`;
  }

  /** What kind of address `address` is, when refused, with the way out. */
  private whyRefused(address: string): string | undefined {
    // BlockList matches an IPv4-mapped IPv6 address (::ffff:10.0.0.1) against the IPv4 rules itself
    // (the tests hold it to that), so no mapping of our own is needed.
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (ALWAYS_REFUSED.check(address, type)) {
      return 'a link-local or cloud-metadata address, where webhooks are never sent; use an address of the receiver';
    }
    if (this.isPrivateDenied && PRIVATE.check(address, type)) {
      return 'a loopback or private address, refused while ORRA_WEBHOOK_DENY_PRIVATE is on; use a public address of the receiver, or set ORRA_WEBHOOK_DENY_PRIVATE=false on the engine';
    }
    return undefined;
  }

  /** `name resolves to 10.0.0.7, a loopback or private address, …`. */
  private refusalForResolved(hostname: string, address: string): string | undefined {
    const why = this.whyRefused(address);
    return why && `${hostname} resolves to ${address}, ${why}`;
  }

  /** The refusal for a URL's host when it is an IP literal. */
  refusalForHost(hostname: string): string | undefined {
    const host = unbracketed(hostname);
    return isIP(host) ? this.refusalFor(host) : undefined;
  }

  /**
   * Resolves `hostname` (bounded by `timeoutMs`) and returns the refusal of its first refused address.
   * A name that does not resolve now is allowed: it is checked again at every send.
   */
  async refusalForName(hostname: string, timeoutMs = 2_000): Promise<string | undefined> {
    const host = unbracketed(hostname);
    if (isIP(host)) return this.refusalFor(host);
    const addresses = await new Promise<LookupAddress[]>((resolve) => {
      const timer = setTimeout(() => resolve([]), timeoutMs);
      this.resolver(hostname, { all: true }, (err, result) => {
        clearTimeout(timer);
        resolve(err ? [] : result);
      });
    });
    for (const a of addresses) {
      const refusal = this.refusalForResolved(hostname, a.address);
      if (refusal) return refusal;
    }
    return undefined;
  }

  /**
   * A `lookup` for net/tls.connect: resolves as usual, then drops refused addresses, so the socket can
   * only ever connect to an allowed one. Fails when none is left.
   */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    this.resolver(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '', 0);
      const allowed = addresses.filter((a) => this.refusalFor(a.address) === undefined);
      if (allowed.length === 0) {
        const refusal = addresses[0] ? this.refusalForResolved(hostname, addresses[0].address) : `${hostname} resolves to no address`;
        return callback(new SsrfRefusedError(`refused by the webhook address policy: ${refusal}`), options.all ? [] : '', 0);
      }
      if (options.all) return callback(null, allowed);
      const first = allowed[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

/** `[::1]` (an IPv6 literal as a URL writes it) → `::1`; anything else unchanged. */
function unbracketed(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
