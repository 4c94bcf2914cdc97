import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHome } from './helpers/cli.js';
import { CliFixture, waitFor } from './helpers/cli-fixture.js';

describe('orra verify run and the Idempotency-Key', () => {
  const f = new CliFixture();
  const runs: string[] = [];
  let plan: string;

  beforeAll(async () => {
    await f.start();
    const charge = await f.service({
      name: 'charge',
      input: { orderId: 'string' },
      output: { chargeId: 'string' },
      handler: async (t) => {
        runs.push(t.input.orderId);
        return { chargeId: `ch-${t.input.orderId}` };
      },
    });
    plan = f.planFile('charge', [[charge.id, { orderId: '$task0.orderId' }]]);
  });
  afterAll(() => f.dispose());

  it('sends a random UUID as the Idempotency-Key, a new one per invocation', async () => {
    const keys: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      keys.push(req.headers['idempotency-key'] as string | undefined);
      req
        .resume()
        .on('end', () =>
          res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"o_x","status":"pending"}'),
        );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const home = testHome();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      writeFileSync(
        home.configPath,
        JSON.stringify({
          current_project: 'p',
          projects: { p: { id: 'p_x', cli_auth: 'sk-orra-v1-x', server_addr: url } },
        }),
      );
      for (let i = 0; i < 2; i++)
        expect((await home.run(['verify', 'run', 'Charge', '--json'])).code).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    expect(keys).toHaveLength(2);
    for (const key of keys)
      expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1]).not.toBe(keys[0]);
  });

  it('so running the same command twice runs it twice', async () => {
    const a = await f.json(['verify', 'run', 'Charge', '--plan', plan, '-d', 'orderId:A']);
    const b = await f.json(['verify', 'run', 'Charge', '--plan', plan, '-d', 'orderId:A']);
    expect(b.id).not.toBe(a.id);
    await waitFor(() => runs.filter((r) => r === 'A').length === 2, { what: 'both runs' });
  });

  it('with --idempotency-key, a repeated run answers with the first orchestration and runs once', async () => {
    const args = [
      'verify',
      'run',
      'Charge',
      '--plan',
      plan,
      '-d',
      'orderId:B',
      '--idempotency-key',
      'charge-B',
    ];
    const first = await f.json(args);
    const again = await f.json(args);
    expect(again.id).toBe(first.id);
    await f.settled(first.id, (v) => v.status === 'completed');
    expect(runs.filter((r) => r === 'B')).toEqual(['B']);
    const other = await f.run([
      'verify',
      'run',
      'Charge',
      '--plan',
      plan,
      '-d',
      'orderId:C',
      '--idempotency-key',
      'charge-B',
    ]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      'Idempotency-Key "charge-B" was used within the last 24 hours for a different request',
    );
  });

  it('refuses an empty or over-long key as a usage error', async () => {
    for (const key of ['', 'k'.repeat(256)]) {
      const r = await f.run(['verify', 'run', 'Charge', '--plan', plan, '--idempotency-key', key]);
      expect(r.code, key).toBe(2);
    }
  });
});
