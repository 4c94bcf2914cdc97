import { describe, expect, it } from 'vitest';
import { TimerQueue } from './timer-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TimerQueue', () => {
  it('does not run a timer that fires before its due time by its clock; it waits until it is due', async () => {
    // The clock given to the queue lags the one setTimeout uses, as the wall clock can lag the event
    // loop's cached time (or the other way round): the first firing comes 20 ms early by `now()`.
    let clock = 0;
    const queue = new TimerQueue(() => clock);
    const calls: number[] = [];
    queue.set('t', 30, () => calls.push(clock));
    clock = 10;
    await sleep(45);
    expect(calls).toEqual([]); // fired by setTimeout, but not yet due: re-armed
    clock = 30;
    await sleep(45);
    expect(calls).toEqual([30]);
    expect(queue.size).toBe(0);
  });

  it('replaces a timer set again under the same key, and clears it', async () => {
    const queue = new TimerQueue();
    const calls: string[] = [];
    queue.set('k', Date.now() + 10, () => calls.push('first'));
    queue.set('k', Date.now() + 10, () => calls.push('second'));
    queue.set('other', Date.now() + 10, () => calls.push('other'));
    queue.clear('other');
    await sleep(40);
    expect(calls).toEqual(['second']);
  });
});
