import type { ServerMessage } from '@orra/protocol';

/**
 * What the orchestration domain needs from the WebSocket transport: whether a service has a live socket,
 * and a way to send it a message. Implemented by the ws hub; the domain never imports transport code.
 */
export interface ServiceConnections {
  /** True when at least one socket of the service is open and answering pings. */
  isConnected(serviceId: string): boolean;
  /** Sends to one live socket of the service (spreading load across them); returns its socket id. */
  send(serviceId: string, message: ServerMessage): string | undefined;
}
