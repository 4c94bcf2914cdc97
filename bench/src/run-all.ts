import { taskOverhead } from './task-overhead.js';

/** `npm run bench`: runs every benchmark in turn; each writes bench/results/<name>.json. */
const benchmarks: [string, () => Promise<Record<string, unknown>>][] = [['task-overhead', taskOverhead]];

for (const [name, run] of benchmarks) {
  process.stdout.write(`\n== ${name}\n`);
  const result = await run();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
