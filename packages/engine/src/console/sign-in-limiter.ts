/** At most this many addresses are tracked; past it the oldest window is dropped (memory stays bounded). */
const MAX_TRACKED = 10_000;
const WINDOW_MS = 60_000;

/**
 * Limits console sign-in attempts per client address: `perMinute` attempts in a fixed one-minute window.
 * Guessing a key is hopeless anyway (they are random), but an unlimited endpoint that checks keys invites
 * floods; in memory per engine process, which is enough for that.
 */
export class SignInLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {}

  /** Counts an attempt; returns 0 when allowed, else the seconds until the address may try again. */
  take(address: string): number {
    const now = this.now();
    let window = this.windows.get(address);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      this.windows.delete(address);
      if (this.windows.size >= MAX_TRACKED) this.windows.delete(this.windows.keys().next().value as string);
      window = { startedAt: now, count: 0 };
      this.windows.set(address, window);
    }
    window.count += 1;
    if (window.count <= this.perMinute) return 0;
    return Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
  }
}
