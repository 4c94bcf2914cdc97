import { createHash } from 'node:crypto';
import { ERROR_CODES } from '@orra/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

describe('console sessions', () => {
  let engine: TestEngine;
  let apiKey: string;
  beforeAll(async () => {
    engine = await startTestEngine({ consoleSignInsPerMinute: 8, consoleSessionIdleMs: 3000 });
    apiKey = (await newProject(engine.url)).apiKey;
  });
  afterAll(() => engine?.dispose());

  const signIn = (body: unknown) =>
    fetch(`${engine.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const cookieOf = (res: Response) => /^(orra_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
  const withCookie = (cookie: string, path: string, init: RequestInit = {}) =>
    fetch(engine.url + path, { ...init, headers: { cookie, ...(init.headers as Record<string, string>) } });

  it('signs in with a key: an HttpOnly, SameSite=Strict cookie that the API accepts, stored only as a hash', async () => {
    const res = await signIn({ apiKey });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ role: 'operate', keyLabel: 'primary' });
    const cookie = cookieOf(res);
    expect(res.headers.get('set-cookie')).toContain('HttpOnly; SameSite=Strict');
    expect((await withCookie(cookie, '/orchestrations')).status).toBe(200);
    expect(await (await withCookie(cookie, '/console/session')).json()).toMatchObject({ role: 'operate' });
    const token = cookie.split('=')[1]!;
    expect(await engine.store.consoleSessions.get(token)).toBeUndefined();
    expect(await engine.store.consoleSessions.get(createHash('sha256').update(token).digest('hex'))).toBeDefined();
  });

  it('refuses an unknown key and a body without one, opening no session', async () => {
    const bad = await signIn({ apiKey: 'sk-orra-v1-nope' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    const empty = await signIn({});
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { param: string } }).error.param).toBe('apiKey');
  });

  it('takes a change from a session only as JSON with X-Orra-Client: console from its own origin', async () => {
    const cookie = cookieOf(await signIn({ apiKey }));
    const body = JSON.stringify({ url: 'https://example.com/hooks' });
    const json = { 'content-type': 'application/json' };
    const cases: [Record<string, string>, string | undefined, number][] = [
      [json, body, 403], // no custom header: what a cross-site fetch without preflight could send
      [{ 'content-type': 'text/plain', 'x-orra-client': 'console' }, body, 403], // a form-like body
      [{ ...json, 'x-orra-client': 'console', origin: 'https://evil.example' }, body, 403],
      [{ ...json, 'x-orra-client': 'console', origin: engine.url }, body, 201],
    ];
    for (const [headers, payload, status] of cases) {
      const res = await withCookie(cookie, '/webhooks', { method: 'POST', headers, body: payload });
      expect({ headers, status: res.status }).toEqual({ headers, status });
      if (status === 403) expect(((await res.json()) as { error: { code: string } }).error.code).toBe(ERROR_CODES.CONSOLE_REQUEST_REFUSED);
    }
    expect(((await withCookie(cookie, '/webhooks').then((r) => r.json())) as unknown[]).length).toBe(1);
  });

  it('ends a session on sign-out and after the idle limit', async () => {
    const cookie = cookieOf(await signIn({ apiKey }));
    const out = await withCookie(cookie, '/console/session', { method: 'DELETE', headers: { 'x-orra-client': 'console' } });
    expect(out.status).toBe(204);
    expect((await withCookie(cookie, '/orchestrations')).status).toBe(401);
    const idle = cookieOf(await signIn({ apiKey }));
    expect((await withCookie(idle, '/orchestrations')).status).toBe(200);
    // No request for longer than the idle limit (3 s here): the session has ended.
    await new Promise((r) => setTimeout(r, 3200));
    expect((await withCookie(idle, '/orchestrations')).status).toBe(401);
  });

  it('limits sign-in attempts per address, with Retry-After', async () => {
    const res = await waitFor(async () => {
      const r = await signIn({ apiKey: 'sk-orra-v1-guess' });
      return r.status === 429 ? r : undefined;
    }, { what: 'a 429' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(ERROR_CODES.TOO_MANY_REQUESTS);
    // Even a good key waits out the window.
    expect((await signIn({ apiKey })).status).toBe(429);
  });
});
