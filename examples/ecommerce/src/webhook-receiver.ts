import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One webhook as the receiver saw it. */
export interface ReceivedWebhook {
  type: string;
  eventId: string;
  body: Record<string, any>;
  isSignatureValid: boolean;
}

/**
 * A webhook receiver as a user would write one: verifies the Standard Webhooks signature with the
 * endpoint's secret, dedupes on `event_id` (delivery is at least once), answers 200.
 */
export class WebhookReceiver {
  private readonly server: Server;
  private readonly secrets = new Map<string, string>();
  private readonly seen = new Set<string>();
  private readonly waiters: { match: (w: ReceivedWebhook) => boolean; resolve: (w: ReceivedWebhook) => void }[] = [];
  readonly received: ReceivedWebhook[] = [];

  constructor(private readonly onWebhook: (w: ReceivedWebhook) => void = () => undefined) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const secret = this.secrets.get(req.url ?? '/');
        let isSignatureValid = false;
        try {
          if (secret) new Webhook(secret).verify(raw, req.headers as Record<string, string>);
          isSignatureValid = Boolean(secret);
        } catch {
          isSignatureValid = false;
        }
        res.writeHead(isSignatureValid ? 200 : 401).end();
        const body = JSON.parse(raw) as Record<string, any>;
        const eventId = String(body.event_id);
        if (!isSignatureValid || this.seen.has(eventId)) return;
        this.seen.add(eventId);
        const webhook = { type: String(body.type), eventId, body, isSignatureValid };
        this.received.push(webhook);
        this.onWebhook(webhook);
        for (const w of [...this.waiters]) {
          if (w.match(webhook)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(webhook);
          }
        }
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Registers the signing secret of the endpoint that posts to `path`. */
  trust(path: string, secret: string): void {
    this.secrets.set(path, secret);
  }

  /** Resolves with the first webhook (already received or future) that matches. */
  waitFor(match: (w: ReceivedWebhook) => boolean): Promise<ReceivedWebhook> {
    const existing = this.received.find(match);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
