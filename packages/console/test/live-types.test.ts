import { readFileSync } from 'node:fs';
import { LOGGED_EVENT_TYPES } from '@orra/protocol';
import { describe, expect, it } from 'vitest';

/**
 * EventSource hands a named event only to a listener of that name, so a logged type missing from the
 * console's list (src/live.ts) would never refresh a screen. The console does not import the protocol
 * package (its bundle stays small), so its list is checked against the engine's here.
 */
describe('console live updates', () => {
  it('listens to every event type the engine logs', () => {
    const source = readFileSync(new URL('../src/live.ts', import.meta.url), 'utf8');
    const list = /const LOGGED_TYPES = \[([^\]]*)\]/.exec(source)?.[1] ?? '';
    const listened = [...list.matchAll(/'([a-z_.]+)'/g)].map((m) => m[1]);
    expect(LOGGED_EVENT_TYPES.filter((t) => !listened.includes(t))).toEqual([]);
  });
});
