import { request, type ClientRequest, type IncomingMessage } from 'node:http';

/**
 * The consumer side of the events benchmark, in its own process (so it has the second core): follows an
 * SSE stream, or loops on a long-poll, and keeps for each event id the time it arrived, on the machine-wide
 * monotonic clock (`process.hrtime`, comparable across processes). The same code reads the engine and the
 * bare node:http reference, so both pay the same client cost (frame split, JSON parse).
 *
 * IPC: `{cmd:'sse', url, headers}` → `{ready:true}` once the response head is in;
 * `{cmd:'poll', url, headers}` (url without `after`) → `{ready:true}` once the first request is out;
 * `{cmd:'stop'}` → `{arrivals: [id, µs][]}` and closes what is open.
 */
const nowUs = () => Number(process.hrtime.bigint()) / 1e3;
const arrivals = new Map<string, number>();
let current: ClientRequest | undefined;
let isPolling = false;

function get(
  url: string,
  headers: Record<string, string>,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  const req = request(url, { headers, agent: false }, onResponse);
  req.on('error', () => undefined); // closed by `stop`
  req.end();
  return req;
}

function sse(url: string, headers: Record<string, string>): void {
  current = get(url, { ...headers, accept: 'text/event-stream' }, (res) => {
    process.send?.({ ready: true, status: res.statusCode });
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      const at = nowUs();
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of frame.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const id = (JSON.parse(line.slice(5)) as { id?: string }).id;
          if (id && !arrivals.has(id)) arrivals.set(id, at);
        }
      }
    });
  });
}

function poll(url: string, headers: Record<string, string>, after: string): void {
  if (!isPolling) return;
  current = get(`${url}&after=${after}`, headers, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const at = nowUs();
      if (res.statusCode !== 200) return void process.send?.({ error: `poll answered ${res.statusCode}` });
      const page = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        data: { id: string }[];
        next_cursor: string;
      };
      for (const e of page.data) if (!arrivals.has(e.id)) arrivals.set(e.id, at);
      poll(url, headers, page.next_cursor);
    });
  });
}

process.on('message', (m: { cmd: string; url: string; headers: Record<string, string> }) => {
  if (m.cmd === 'sse') sse(m.url, m.headers);
  else if (m.cmd === 'poll') {
    isPolling = true;
    poll(m.url, m.headers, 'head');
    setTimeout(() => process.send?.({ ready: true }), 50);
  } else if (m.cmd === 'stop') {
    isPolling = false;
    current?.destroy();
    current = undefined;
    process.send?.({ arrivals: [...arrivals] });
    arrivals.clear();
  }
});
process.on('disconnect', () => process.exit(0));
