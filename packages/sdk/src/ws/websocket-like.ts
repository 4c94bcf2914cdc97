/**
 * The part of the WebSocket API the SDK uses. Both `ws` and the browser/undici `WebSocket` have it,
 * so `initService({WebSocketImpl})` can swap the implementation (as orra's SDK allows).
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // Event parameters are `any` because each implementation has its own event classes; the SDK reads
  // only `data` (message), `code` (close) and `message` (error).
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}

/** A WebSocket constructor taking the URL. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket (the same value in every implementation). */
export const WS_OPEN = 1;
