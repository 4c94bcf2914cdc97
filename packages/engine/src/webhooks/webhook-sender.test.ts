import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsrfPolicy } from './ssrf-policy.js';
import { RESPONSE_BODY_LIMIT, WebhookSender } from './webhook-sender.js';

/** The sender against a real HTTP server on loopback; each path answers in its own way. */
describe('WebhookSender', () => {
  const connections: number[] = [];
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/long-known': (_req, res) => res.writeHead(200, { 'content-length': '10000' }).end('a'.repeat(10_000)),
    // 200 KiB in chunks with no length: read up to 64 KiB, then the connection is cut.
    '/huge-chunked': (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      const chunk = 'b'.repeat(8192);
      const write = (left: number) => {
        if (left === 0 || res.destroyed) res.end();
        else res.write(chunk, () => write(left - 1));
      };
      write(25);
    },
    // The status arrives, then the body stalls past the timeout: the status decides.
    '/stalled-body': (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    },
    '/no-answer': () => undefined,
    '/informational': (_req, res) => {
      res.writeProcessing();
      res.writeHead(503, { 'retry-after': '7' }).end('busy');
    },
    '/empty': (_req, res) => res.writeHead(204).end(),
  };
  let server: Server;
  let origin: string;
  const sender = new WebhookSender({ timeoutMs: 300, connectionsPerOrigin: 4, policy: new SsrfPolicy(false), now: () => 1_000_000 });
  const send = (path: string) => sender.send({ url: `${origin}${path}`, body: '{"a":1}', headers: { 'content-type': 'application/json' } });

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => routes[req.url!]!(req, res));
    });
    server.on('connection', (socket) => connections.push(socket.remotePort!));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await sender.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('keeps the first 4 KiB of a longer body', async () => {
    const r = await send('/long-known');
    expect(r).toMatchObject({ kind: 'success', isSuccess: true, httpStatus: 200, error: null });
    expect(r.responseBody).toBe('a'.repeat(RESPONSE_BODY_LIMIT));
  });

  it('cuts off a body past 64 KiB, keeps its start, and sends the next request on a new connection', async () => {
    const before = connections.length;
    const r = await send('/huge-chunked');
    expect(r).toMatchObject({ kind: 'http_error', isSuccess: false, httpStatus: 500, error: 'HTTP 500' });
    expect(r.responseBody).toBe('b'.repeat(RESPONSE_BODY_LIMIT));
    expect((await send('/empty')).httpStatus).toBe(204);
    expect(connections.length).toBeGreaterThan(before);
  });

  it('lets the status decide when the body stalls after it', async () => {
    const r = await send('/stalled-body');
    expect(r).toMatchObject({ kind: 'success', httpStatus: 200, responseBody: 'partial' });
  });

  it('times out a receiver that never answers', async () => {
    const r = await send('/no-answer');
    expect(r).toMatchObject({ kind: 'timeout', httpStatus: null, responseBody: null });
    expect(r.error).toBe('timed out after 300 ms waiting for the response');
  });

  it('waits past a 1xx for the final status, and reads Retry-After', async () => {
    const r = await send('/informational');
    expect(r).toMatchObject({ kind: 'http_error', httpStatus: 503, responseBody: 'busy', retryAfterMs: 7000 });
  });

  it('gives an empty body as null, and a refused connection as a network error', async () => {
    expect(await send('/empty')).toMatchObject({ kind: 'success', httpStatus: 204, responseBody: null });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await sender.send({ url: `http://127.0.0.1:${port}/x`, body: '{}', headers: {} });
    expect(r).toMatchObject({ kind: 'network_error', httpStatus: null });
    expect(r.error).toMatch(/ECONNREFUSED/);
  });
});
