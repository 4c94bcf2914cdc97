import { WebSocketServer } from 'ws';

/** A bare WebSocket echo server in its own process: the reference for a cross-process round trip. */
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
wss.on('listening', () => {
  process.send?.({ port: (wss.address() as { port: number }).port });
});
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    // Parse and re-serialise, as any real peer does with a JSON message.
    ws.send(JSON.stringify(JSON.parse(data.toString())));
  });
});
process.on('disconnect', () => process.exit(0));
