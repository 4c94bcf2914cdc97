import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
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
  host: string | undefined;
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
  private server: Server | undefined;
  private readonly verifier: Webhook | undefined;

  constructor(private readonly options: WebhookListenerOptions) {
    this.verifier = options.secret ? new Webhook(options.secret) : undefined;
  }

  /** Starts listening; resolves with the bound address once the port is open. */
  async listen(): Promise<AddressInfo> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return server.address() as AddressInfo;
  }

  /** Stops listening and drops open connections (keep-alive sockets would hold the process open). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
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
 * Where to listen for a webhook URL: its port (orra's default 8888) and path; an IP literal is bound
 * as given, a name (localhost, host.docker.internal) on all interfaces, since the engine may resolve it
 * to IPv4 or IPv6 or reach it from a container.
 */
export function listenAddress(url: URL): { host: string | undefined; port: number; path: string } {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host: isIP(hostname) ? hostname : undefined,
    port: url.port ? Number(url.port) : 8888,
    path: url.pathname || '/',
  };
}
