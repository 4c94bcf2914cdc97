import { readFileSync } from 'node:fs';

/** User + system CPU of a process so far, in µs (from /proc, clock ticks of 10 ms). */
export function processCpuUs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** The machine's 1-, 5- and 15-minute load averages. */
export const loadAverage = (): number[] => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
