import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrraClient } from '@orra/sdk';

/**
 * Observes completions the way an application would, through the engine's own webhooks (no polling): a
 * receiver on loopback, added as an orchestration webhook of the client's project, that calls
 * `onCompleted` with the id of each `orchestration.completed` event. Resolves with a function that stops it.
 */
export async function listenForCompletions(
  client: OrraClient,
  onCompleted: (orchestrationId: string) => void,
): Promise<() => Promise<void>> {
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200).end();
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { type: string; orchestration_id: string };
      if (body.type === 'orchestration.completed') onCompleted(body.orchestration_id);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  await client.request('POST', '/webhooks', {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/done`,
  });
  return () => new Promise<void>((r) => receiver.close(() => r()));
}
