import { cluster } from './cluster.js';
import { consoleBench } from './console.js';
import { e2e } from './e2e.js';
import { events } from './events.js';
import { queue } from './queue.js';
import { recovery } from './recovery.js';
import { taskOverhead } from './task-overhead.js';
import { throughput } from './throughput.js';
import { tracingOverhead } from './tracing-overhead.js';
import { webhooks } from './webhooks.js';

/** `npm run bench`: runs every benchmark in turn; each writes bench/results/<name>.json. */
const benchmarks: [string, () => Promise<Record<string, unknown>>][] = [
  ['e2e', e2e],
  ['task-overhead', taskOverhead],
  ['throughput', throughput],
  ['webhooks', webhooks],
  ['events', events],
  ['queue', queue],
  ['recovery', recovery],
  ['cluster', cluster],
  ['tracing-overhead', tracingOverhead],
  ['console', consoleBench],
];

const only = process.argv.slice(2);
for (const [name, run] of benchmarks) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n== ${name}\n`);
  const result = await run();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
