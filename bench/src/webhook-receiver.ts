import { createServer } from 'node:http';

/**
 * A plain webhook receiver in its own process (so it does not share the measured process's core): reads
 * the body and answers `200` with an empty body. For each `webhook-id` it keeps the time the request's
 * head arrived, the first time only, on the machine-wide monotonic clock (`process.hrtime`, comparable
 * across processes), so the parent can compute commit → receiver latencies.
 *
 * IPC: `{cmd:'take'}` → `{requests, duplicates, firsts: [id, µs][], cpuUs}`: `firsts` since the last take;
 * `duplicates` counts requests for an id seen before (the plain loop's id `raw` aside).
 */
const firsts = new Map<string, number>();
const seen = new Set<string>();
let requests = 0;
let duplicates = 0;

const server = createServer((req, res) => {
  const atUs = Number(process.hrtime.bigint()) / 1e3;
  requests += 1;
  const id = req.headers['webhook-id'];
  if (typeof id === 'string' && id !== 'raw') {
    if (seen.has(id)) duplicates += 1;
    else {
      seen.add(id);
      firsts.set(id, atUs);
    }
  }
  req.on('end', () => {
    res.writeHead(200, { 'content-length': '0' }).end();
  });
  req.resume();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as { port: number }).port });
});

process.on('message', (m: { cmd: string }) => {
  if (m.cmd !== 'take') return;
  const cpu = process.cpuUsage();
  process.send?.({ requests, duplicates, firsts: [...firsts], cpuUs: cpu.user + cpu.system });
  firsts.clear();
});
process.on('disconnect', () => process.exit(0));
