import { ERROR_CODES } from '@orra/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../../engine/test/helpers/api.js';
import { CliFixture } from './helpers/cli-fixture.js';

describe('orra api-keys gen --read-only, orra console, and the CLI in the audit trail', () => {
  const f = new CliFixture();
  beforeAll(() => f.start());
  afterAll(() => f.dispose());

  it('makes a read-only key that the API refuses for changes', async () => {
    const made = await f.json(['api-keys', 'gen', 'dashboard', '--read-only']);
    expect(made).toMatchObject({ name: 'dashboard', role: 'read' });
    const res = await new Api(f.engine.url, made.apiKey).post('/webhooks', { url: 'https://example.com/h' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe(ERROR_CODES.READ_ONLY_KEY);
    const { entries } = (await new Api(f.engine.url, f.apiKey).get('/audit?action=apikey.create')).body;
    // The CLI names itself (X-Orra-Client: cli) and the key's name becomes its label.
    expect(entries[0]).toMatchObject({ client: 'cli', after: { role: 'read', label: 'dashboard' } });
  });

  it('prints a one-time console link that signs in once', async () => {
    const r = await f.expectOk(['console', '--no-open']);
    const url = /(http:\/\/\S+\/console\/sign-in#link=\S+)/.exec(r.stdout)?.[1];
    expect(url, r.stdout).toBeDefined();
    expect(r.stdout).toContain('works once, within 60 s');
    const link = new URL(url!).hash.replace('#link=', '');
    const signIn = () =>
      fetch(`${f.engine.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link }) });
    const first = await signIn();
    expect(first.status).toBe(201);
    expect(first.headers.get('set-cookie')).toMatch(/^orra_session=[\w-]{20,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const second = await signIn();
    expect(second.status).toBe(401);
    expect(((await second.json()) as { error: { message: string } }).error.message).toContain('already used');
  });
});
