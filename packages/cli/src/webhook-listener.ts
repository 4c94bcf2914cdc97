import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** Bodies larger than the engine ever sends (its limit is far lower) are refused. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** How a received request's signature checked out. */
export type SignatureCheck = { kind: 'valid' } | { kind: 'invalid'; reason: string } | { kind: 'unchecked' };

/** One webhook request as received. */
export interface ReceivedEvent {
  path: string;
  headers: IncomingMessage['headers'];
  /** The raw body, exactly as signed. */
  body: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
  signature: SignatureCheck;
}

/** Where to listen and how to check signatures. */
export interface WebhookListenerOptions {
  /** The IP addresses to listen on (one server each, all on one port). */
  addresses: string[];
  port: number;
  path: string;
  /** The endpoint's `whsec_…` secret; without it signatures are not checked. */
  secret?: string;
  onEvent(event: ReceivedEvent): void;
  /** Requests that are not webhooks (wrong path or method), for a note on stderr. */
  onIgnored(method: string, path: string, status: number): void;
}

/**
 * A local receiver for `orra verify webhooks start`: answers every POST on the path with 200
 * `{"status":"received"}` (as orra's does), after checking the Standard Webhooks signature. It answers
 * 200 even for a bad signature: it is a debugging tool, and a retry storm would only hide the report.
 */
export class WebhookListener {
  private readonly servers: Server[] = [];
  private readonly verifier: Webhook | undefined;

  constructor(private readonly options: WebhookListenerOptions) {
    this.verifier = options.secret ? new Webhook(options.secret) : undefined;
  }

  /**
   * Starts listening on every address, all on one port (port 0: the one the first gets); resolves with
   * the bound addresses once they are open. An address this machine does not have (::1 without IPv6)
   * is skipped while another one works.
   */
  async listen(): Promise<AddressInfo[]> {
    let port = this.options.port;
    let skipped: unknown;
    for (const address of this.options.addresses) {
      const server = createServer((req, res) => this.handle(req, res));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, address, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRNOTAVAIL' && code !== 'EAFNOSUPPORT') {
          await this.close();
          throw err;
        }
        skipped = err;
        continue;
      }
      this.servers.push(server);
      port = (server.address() as AddressInfo).port;
    }
    if (this.servers.length === 0) throw skipped;
    return this.servers.map((s) => s.address() as AddressInfo);
  }

  /** Stops listening and drops open connections (keep-alive sockets would hold the process open). */
  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path !== this.options.path) return this.refuse(req, res, path, 404, 'not found');
    if (req.method !== 'POST') return this.refuse(req, res, path, 405, 'method not allowed');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      this.options.onEvent({
        path,
        headers: req.headers,
        body,
        json,
        signature: this.check(body, req.headers),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"received"}');
    });
  }

  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    status: number,
    text: string,
  ): void {
    this.options.onIgnored(req.method ?? '?', path, status);
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: text }));
  }

  private check(body: string, headers: IncomingMessage['headers']): SignatureCheck {
    if (!this.verifier) return { kind: 'unchecked' };
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v.join(' ') : (v ?? '');
    };
    try {
      this.verifier.verify(body, {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      });
      return { kind: 'valid' };
    } catch (err) {
      return { kind: 'invalid', reason: err instanceof Error ? err.message : String(err) };
    }
  }
}

/**
 * Where to listen for a webhook URL: its port (orra's default 8888), its path, and the addresses its
 * host names: an IP literal as given, a name (`localhost`) every address it resolves to, so the engine
 * reaches it over IPv4 or IPv6 but nothing else on the network can. `listen` (`--listen 0.0.0.0`, say)
 * replaces the URL's host. Throws when the name does not resolve.
 */
export async function listenAddress(
  url: URL,
  listen?: string,
): Promise<{ addresses: string[]; port: number; path: string }> {
  const host = (listen ?? url.hostname).replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [host]
    : [...new Set((await lookup(host, { all: true })).map((a) => a.address))];
  return { addresses, port: url.port ? Number(url.port) : 8888, path: url.pathname || '/' };
}
