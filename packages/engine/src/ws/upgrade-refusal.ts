import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBodyOut, ErrorCode } from '@orra/protocol';
import { kindFor } from '../http/error-status.js';

/**
 * Answers a WebSocket upgrade the engine will not accept. A refusal the client must act on (4xx) carries
 * the HTTP API's JSON error body, so a client (our SDK reads it) or a person with curl learns why, not
 * only that; a 503 (shutting down, or storage failing) is a bare status: the client's only move is to
 * retry, and the reason is in the engine's log.
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  error?: { code: ErrorCode; message: string },
): void {
  const body: ErrorBodyOut | undefined = error && { error: { kind: kindFor(error.code), ...error } };
  const json = body ? JSON.stringify(body) : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n` +
      (body ? 'Content-Type: application/json\r\n' : '') +
      `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
  );
}
