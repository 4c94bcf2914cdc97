import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * Runs `measure`, and when `BENCH_PROFILE_DIR=<dir>` is set and `isWanted`, writes a CPU profile of just that
 * part of this process to `<dir>/<name>.cpuprofile` (what `node --cpu-prof` gives for the whole run, set-up
 * and all). Open it in Chrome DevTools or any .cpuprofile viewer.
 */
export async function profiled<T>(name: string, isWanted: boolean, measure: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir || !isWanted) return measure();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await measure();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
