/**
 * The console's only way to the engine: the same REST API the CLI uses, authenticated by the session
 * cookie. Changes are JSON with `X-Orra-Client: console`; the engine refuses a cookie-borne change without
 * that header (what a cross-site form or script would send).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-orra-client'] = 'console';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (res.status === 401 && !path.startsWith('/console/session')) {
    location.assign(`/console/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? '', error?.message ?? `HTTP ${res.status}`);
  }
  return parsed as T;
}

/** How long a preloaded answer waits for the screen that asked for it to take it. */
const PRELOAD_MS = 10_000;
/** Preloads are made at start-up only (main.tsx), so this holds a few entries at most. */
const preloaded = new Map<string, { at: number; answer: Promise<unknown>; value?: unknown; isSettled: boolean }>();

/**
 * Starts `GET path` now, at start-up, for the screen about to ask for it: the request goes out while the
 * page loads instead of after its first paint (a screen's effects run after it). The first `api.get`
 * of the same path takes it (or `takeAnswered`, once it has come); one not taken in PRELOAD_MS is
 * dropped. The promise returned settles with the answer and never rejects.
 */
export function preload(path: string): Promise<void> {
  const answer = send('GET', path);
  const entry: { at: number; answer: Promise<unknown>; value?: unknown; isSettled: boolean } = { at: Date.now(), answer, isSettled: false };
  preloaded.set(path, entry);
  // The screen that takes it sees an error; none is left unhandled here.
  return answer.then(
    (value) => {
      entry.value = value;
      entry.isSettled = true;
    },
    () => undefined,
  );
}

function take<T>(path: string): Promise<T> | undefined {
  const entry = preloaded.get(path);
  if (!entry) return undefined;
  preloaded.delete(path);
  return Date.now() - entry.at < PRELOAD_MS ? (entry.answer as Promise<T>) : undefined;
}

/** A preloaded answer that has already come, taken (so a screen's first render can show it); else undefined. */
export function takeAnswered<T>(path: string): T | undefined {
  const entry = preloaded.get(path);
  if (!entry?.isSettled || Date.now() - entry.at >= PRELOAD_MS) return undefined;
  preloaded.delete(path);
  return entry.value as T;
}

export const api = {
  get: <T>(path: string) => take<T>(path) ?? send<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => send<T>('POST', path, body),
  delete: <T>(path: string) => send<T>('DELETE', path),
};

/** Builds `path?query` from the defined, non-empty values. */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1])));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
