import { ERROR_CODES } from '@orra/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { isChange } from '../src/http/request-auth.js';
import { routeTable } from '../src/http/server.js';
import { Api, newProject } from './helpers/api.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';

/**
 * Changing routes that are application traffic rather than operator changes: they are role-checked like
 * every other, but not audited (an app starting orchestrations or a service registering itself would
 * bury the operators' changes). Plus the console's own sign-out and sign-in links, which change nothing of
 * the project's.
 */
const NOT_AUDITED = new Set(['POST /orchestrations', 'POST /register/service', 'POST /register/agent', 'DELETE /console/session', 'POST /console/links']);

describe('API key roles', () => {
  let engine: TestEngine;
  let operate: Api;
  let read: Api;

  beforeAll(async () => {
    engine = await startTestEngine();
    const project = await newProject(engine.url);
    operate = project.api;
    const made = await operate.post('/apikeys', { role: 'read', label: 'dashboard' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ role: 'read', label: 'dashboard', keyId: expect.stringMatching(/^[0-9a-f]{12}$/) });
    read = new Api(engine.url, made.body.apiKey);
  });
  afterAll(() => engine?.dispose());

  const changingRoutes = () =>
    routeTable(engine.http).filter((r) => isChange(r.method) && !r.config.isPublic && !r.config.isAllowedForReadKeys);

  it('answers a read key with 403 Orra:ReadOnlyKey on every route that changes something, and changes nothing', async () => {
    const routes = changingRoutes();
    // The enumeration itself must see the API: today about twenty changing routes.
    expect(routes.length).toBeGreaterThanOrEqual(19);
    for (const route of routes) {
      const path = route.url.replace(/:[A-Za-z]+/g, 'x_1').replace('*', 'x');
      const res = await read.request(route.method, path, { reason: 'r', url: 'https://example.com/h', name: 'n' });
      expect({ route: `${route.method} ${route.url}`, status: res.status, code: res.body?.error?.code }).toEqual({
        route: `${route.method} ${route.url}`,
        status: 403,
        code: ERROR_CODES.READ_ONLY_KEY,
      });
      expect(res.body.error.message).toContain('read-only');
    }
    expect((await operate.get('/webhooks')).body).toEqual([]);
    // Only the making of the read key itself (before this test) is in the audit trail.
    expect((await operate.get('/audit')).body.entries.map((e: { action: string }) => e.action)).toEqual(['apikey.create']);
  });

  it('lets a read key look', async () => {
    expect((await read.get('/orchestrations')).status).toBe(200);
    expect((await read.get('/webhooks')).status).toBe(200);
    expect((await read.get('/audit')).status).toBe(200);
  });

  it('lets an operate key do what a read key may not', async () => {
    const res = await operate.post('/webhooks', { url: 'https://example.com/hooks' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });

  it('makes operate keys by default and refuses an unknown role, creating nothing', async () => {
    const plain = await operate.post('/apikeys', {});
    expect(plain.body).toMatchObject({ role: 'operate', label: null });
    const bad = await operate.post('/apikeys', { role: 'admin' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: ERROR_CODES.VALIDATION_FAILED, param: 'role' });
    const entries = (await operate.get('/audit?action=apikey.create')).body.entries;
    expect(entries).toHaveLength(2); // the read key and the plain one; not the refused one
  });

  it('refuses a service connection with a read key', async () => {
    const svc = await operate.post('/register/service', {
      name: 'svc',
      description: 'd',
      schema: { input: { type: 'object', properties: { a: { type: 'string' } } }, output: { type: 'object', properties: { b: { type: 'string' } } } },
    });
    expect(svc.status, JSON.stringify(svc.body)).toBe(200);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${engine.url.replace('http', 'ws')}/ws?serviceId=${svc.body.id}&apiKey=${read.apiKey}`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('a read key opened a service connection')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });

  it('audits every changing route except application traffic', () => {
    const missing = changingRoutes()
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !NOT_AUDITED.has(r) && !routeTable(engine.http).find((e) => `${e.method} ${e.url}` === r)?.config.audit);
    expect(missing).toEqual([]);
  });
});
