import { OrraConnectionError } from '@orra/sdk';

/** How often `verify run --wait`, `inspect --follow` and `ps --watch` read the engine. */
export const POLL_INTERVAL_MS = 1_000;

/** How a poll ended: the caller's condition was met, or the user stopped it (Ctrl-C, SIGTERM). */
export type PollEnd = 'done' | 'stopped';

export interface PollOptions {
  intervalMs?: number;
  /** Told once when the engine stops answering and once when it answers again (polling goes on). */
  onReachability?(isReachable: boolean, err?: OrraConnectionError): void;
}

/**
 * Calls `read` now and then every `intervalMs`, handing each result to `onValue`, until `onValue`
 * returns true or SIGINT/SIGTERM arrives. An engine that cannot be reached (restarting, say) is read
 * again at the next tick; any other error ends the poll by throwing.
 *
 * The engine has no event stream yet, so watching means polling; every command that watches goes
 * through here, the one place to change when `GET /events/stream` exists.
 */
export async function poll<T>(
  read: () => Promise<T>,
  onValue: (value: T) => boolean | void,
  options: PollOptions = {},
): Promise<PollEnd> {
  const intervalMs = options.intervalMs ?? POLL_INTERVAL_MS;
  let stop!: () => void;
  const stopped = new Promise<'stopped'>((resolve) => (stop = () => resolve('stopped')));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let timer: NodeJS.Timeout | undefined;
  let isReachable = true;
  try {
    for (;;) {
      const result = await Promise.race([read().then((value) => ({ value })), stopped]).catch(
        (err: unknown) => {
          if (!(err instanceof OrraConnectionError)) throw err;
          if (isReachable) options.onReachability?.((isReachable = false), err);
          return undefined;
        },
      );
      if (result === 'stopped') return 'stopped';
      if (result) {
        if (!isReachable) options.onReachability?.((isReachable = true));
        if (onValue(result.value) === true) return 'done';
      }
      const tick = new Promise<'tick'>((resolve) => (timer = setTimeout(() => resolve('tick'), intervalMs)));
      if ((await Promise.race([tick, stopped])) === 'stopped') return 'stopped';
    }
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
