import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBodyOut, ErrorCode } from '@orra/protocol';
import { kindFor } from '../http/error-status.js';

/**
 * Answers a WebSocket upgrade the engine will not accept: the status, and the same JSON error body as
 * the HTTP API, so a client (our SDK reads it) or a person with curl learns why, not only that.
 */
export function refuseUpgrade(socket: Duplex, status: number, code: ErrorCode, message: string): void {
  const body: ErrorBodyOut = { error: { kind: kindFor(code), code, message } };
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
  );
}
