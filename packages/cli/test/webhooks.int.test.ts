import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCli } from './helpers/cli.js';
import { CliFixture, waitFor } from './helpers/cli-fixture.js';

/** A port that was free a moment ago (the listener under test binds it itself). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('verify webhooks start and the delivery history', () => {
  const f = new CliFixture();
  let echo: { id: string };
  let hookUrl: string;
  let listener: RunningCli | undefined;

  beforeAll(async () => {
    await f.start();
    echo = await f.service({
      name: 'echo',
      input: { message: 'string' },
      output: { echoed: 'string' },
      handler: async (t) => ({ echoed: t.input.message }),
    });
    hookUrl = `http://127.0.0.1:${await freePort()}/webhooks`;
    await f.expectOk(['webhooks', 'add', hookUrl]);
  });
  // A listener a failed test left running would answer the next test's deliveries and hold its port.
  afterEach(async () => {
    if (listener && listener.child.exitCode === null) await listener.stop('SIGTERM');
  });
  afterAll(() => f.dispose());

  const echoPlan = () => f.planFile('echo', [[echo.id, { message: '$task0.message' }]]);
  const completeOne = async (message: string) =>
    (await f.json(['verify', 'run', `Echo ${message}`, '--plan', echoPlan(), '-d', `message:${message}`]))
      .id as string;

  it('receives a real event, prints it readably with pretty JSON, says the signature is valid, and stops on Ctrl-C', async () => {
    listener = f.home.start(['verify', 'webhooks', 'start', hookUrl]);
    await listener.waitFor(/Listening for webhooks on http:\/\/127\.0\.0\.1:\d+\/webhooks/, 'stderr');
    expect(listener.stderr).toContain('Checking signatures with the endpoint secret');
    const id = await completeOne('hello');
    // The whole printed event: the body lines come after the signature line, maybe in a later chunk.
    await listener.waitFor(/signature valid[\s\S]*└─────/);
    expect(listener.stdout).toContain('┌─ orchestration.completed');
    expect(listener.stdout).toMatch(new RegExp(`event_id: +${id}-completed-\\d+`));
    expect(listener.stdout).toContain(
      `summary:   orchestration ${id} completed; results: [{"echoed":"hello"}]`,
    );
    expect(listener.stdout).toContain('│     "type": "orchestration.completed",');
    expect(await listener.stop('SIGINT')).toBe(0);
    expect(listener.stderr).toContain('Stopped after 1 event');
  });

  it('says INVALID when the secret is wrong, and writes one JSON line per event with --json', async () => {
    const wrong = `whsec_${randomBytes(32).toString('base64')}`;
    listener = f.home.start(['verify', 'webhooks', 'start', hookUrl, '--secret', wrong]);
    await listener.waitFor(/Listening/, 'stderr');
    await completeOne('again');
    await listener.waitFor(/signature INVALID/);
    expect(await listener.stop('SIGTERM')).toBe(0);

    listener = f.home.start(['verify', 'webhooks', 'start', hookUrl, '--json']);
    await listener.waitFor(/Listening/, 'stderr');
    const id = await completeOne('json');
    const line = (await listener.waitFor(new RegExp(`^.*${id}.*$`, 'm')))[0];
    expect(JSON.parse(line)).toMatchObject({
      type: 'orchestration.completed',
      signature: 'valid',
      path: '/webhooks',
      body: { orchestration_id: id },
    });
    expect(await listener.stop('SIGINT')).toBe(0);
  });

  it('lists deliveries, inspects an event with every attempt, and redelivers it with the same event id', async () => {
    const id = await completeOne('history');
    const page = await waitFor(async () => {
      const p = await f.json(['webhooks', 'deliveries', '--type', 'orchestration.completed']);
      return p.deliveries.find((d: any) => d.eventId.startsWith(id) && d.attempts >= 1) ? p : undefined;
    });
    const delivery = page.deliveries.find((d: any) => d.eventId.startsWith(id));
    // Nothing listens now, so the first attempt failed and the delivery waits for its retry.
    expect(delivery.attempts).toBeGreaterThanOrEqual(1);
    const table = await f.expectOk(['webhooks', 'deliveries']);
    expect(table.stdout).toContain('┌─ Webhook Deliveries');
    expect(table.stdout).toContain(delivery.eventId);

    const inspect = await f.expectOk(['webhooks', 'inspect', delivery.eventId]);
    expect(inspect.stdout).toContain(`Type:    orchestration.completed`);
    expect(inspect.stdout).toContain(`"orchestration_id": "${id}"`);
    expect(inspect.stdout).toMatch(/#1 +\d\d:\d\d:\d\d +✕ no response/);
    expect(
      (await f.json(['webhooks', 'inspect', delivery.eventId])).deliveries[0].attemptLog.length,
    ).toBeGreaterThanOrEqual(1);

    listener = f.home.start(['verify', 'webhooks', 'start', hookUrl]);
    await listener.waitFor(/Listening/, 'stderr');
    const redeliver = await f.expectOk(['webhooks', 'redeliver', delivery.eventId]);
    expect(redeliver.stdout).toContain(`✓ Queued 1 delivery of ${delivery.eventId}`);
    await listener.waitFor(new RegExp(`event_id: +${delivery.eventId}[\\s\\S]*signature valid`));
    expect(await listener.stop()).toBe(0);
    expect(
      await f.json(['webhooks', 'redeliver', delivery.eventId, '--endpoint', delivery.endpointId]),
    ).toEqual({ eventId: delivery.eventId, requeued: 1 });
  });

  it('listens only on the address its URL names (localhost: loopback), or on the one --listen gives', async () => {
    const port = await freePort();
    const post = (host: string) =>
      fetch(`http://${host}:${port}/hooks`, { method: 'POST', body: '{}' }).then(
        (res) => res.status,
        (err: { cause?: { code?: string } }) => err.cause?.code,
      );
    listener = f.home.start(['verify', 'webhooks', 'start', `http://localhost:${port}/hooks`]);
    await listener.waitFor(/Listening for webhooks/, 'stderr');
    expect(await post('127.0.0.1')).toBe(200);
    // Another address of this machine: a listener on every interface would answer it.
    expect(await post('127.0.0.2')).toBe('ECONNREFUSED');
    expect(listener.stderr).toMatch(
      new RegExp(`Listening for webhooks on http://localhost:${port}/hooks at (127\\.0\\.0\\.1|\\[::1\\])`),
    );
    expect(await listener.stop('SIGINT')).toBe(0);

    listener = f.home.start([
      'verify',
      'webhooks',
      'start',
      `http://localhost:${port}/hooks`,
      '--listen',
      '0.0.0.0',
    ]);
    await listener.waitFor(new RegExp(`on http://localhost:${port}/hooks at 0\\.0\\.0\\.0 `), 'stderr');
    expect(await post('127.0.0.2')).toBe(200);
    expect(await listener.stop('SIGINT')).toBe(0);
  });

  it('tests, re-enables and removes an endpoint', async () => {
    const [endpoint] = await f.json(['webhooks', 'ls']);
    const failedTest = await f.run(['webhooks', 'test', endpoint.id]);
    expect(failedTest.code).toBe(1);
    expect(failedTest.stderr).toMatch(new RegExp(`^Error: endpoint ${endpoint.id} failed the test: .+\\n$`));
    expect((await f.expectOk(['webhooks', 'enable', endpoint.id])).stdout).toContain(
      `Webhook ${endpoint.id} is enabled`,
    );
    const removed = await f.expectOk(['webhooks', 'rm', endpoint.id]);
    expect(removed.stdout).toContain(`✓ Removed webhook ${endpoint.id} (${hookUrl})`);
    expect(await f.json(['webhooks', 'ls'])).toEqual([]);
    expect(f.config().projects.shop.webhooks).toBeUndefined();
    const gone = await f.run(['webhooks', 'rm', endpoint.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^Error: .*not found.*; list the project's webhooks with 'orra webhooks ls'/);
  });
});

describe('webhook pause, resume and operator endpoints', () => {
  const f = new CliFixture();
  beforeAll(() => f.start());
  afterAll(() => f.dispose());

  it('adds an operator endpoint with --operator, kept apart from the orchestration ones and from orra\'s local list', async () => {
    const url = `http://127.0.0.1:${await freePort()}/pager`;
    const added = await f.expectOk(['webhooks', 'add', '--operator', url]);
    expect(added.stdout).toContain('New operator webhook added to project shop:');
    expect(await f.json(['webhooks', 'ls'])).toEqual([]);
    const [operator] = await f.json(['webhooks', 'ls', '--operator']);
    expect(operator).toMatchObject({ url, kind: 'operator', state: 'active', heldEvents: 0 });
    expect(f.config().projects.shop.webhooks).toBeUndefined();
  });

  it('pauses and resumes an endpoint; ls shows the state, since when and the held count; an unknown id is a clear error', async () => {
    const url = `http://127.0.0.1:${await freePort()}/hooks`;
    await f.expectOk(['webhooks', 'add', url]);
    const [endpoint] = await f.json(['webhooks', 'ls']);
    const paused = await f.expectOk(['webhooks', 'pause', endpoint.id]);
    expect(paused.stdout).toContain(`✓ Webhook ${endpoint.id} is paused (0 event(s) held)`);
    const ls = await f.expectOk(['webhooks', 'ls']);
    expect(ls.stdout).toMatch(/STATE\s+SINCE\s+HELD/);
    expect(ls.stdout).toContain('‖ paused');
    expect(ls.stdout).toContain(`${endpoint.id} is paused with 0 event(s) held; resume it with 'orra webhooks resume ${endpoint.id}'`);
    expect((await f.json(['webhooks', 'pause', endpoint.id, '--json'])).state).toBe('paused');
    const resumed = await f.expectOk(['webhooks', 'resume', endpoint.id]);
    expect(resumed.stdout).toContain(`✓ Webhook ${endpoint.id} is active`);
    const unknown = await f.run(['webhooks', 'pause', 'wh_nosuchendpoint']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: .*not found.*; list the project's webhooks with 'orra webhooks ls'/);
  });

  it('disables an endpoint by hand; ls says so and how to enable it again; an unknown id is a clear error', async () => {
    const url = `http://127.0.0.1:${await freePort()}/disable-me`;
    const { id } = (await f.json(['webhooks', 'add', url, '--json'])) as { id: string };
    const disabled = await f.expectOk(['webhooks', 'disable', id]);
    expect(disabled.stdout).toContain(`✓ Webhook ${id} is disabled (0 event(s) held); re-enable it with 'orra webhooks enable ${id}'`);
    const ls = await f.expectOk(['webhooks', 'ls']);
    expect(ls.stdout).toContain(`${id} was disabled: disabled by an operator`);
    expect((await f.json(['webhooks', 'disable', id, '--json'])).enabled).toBe(false);
    expect((await f.json(['webhooks', 'enable', id, '--json'])).enabled).toBe(true);
    const unknown = await f.run(['webhooks', 'disable', 'wh_nosuchendpoint']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: .*not found.*; list the project's webhooks with 'orra webhooks ls'/);
  });

  it('rotates an endpoint\'s signing secret: prints the new one, which ls then shows; --json; an unknown id is a clear error', async () => {
    const url = `http://127.0.0.1:${await freePort()}/rotate-me`;
    const { id, secret: before } = (await f.json(['webhooks', 'add', url, '--json'])) as { id: string; secret: string };
    const rotated = await f.expectOk(['webhooks', 'rotate-secret', id]);
    const [shown] = await f.json(['webhooks', 'ls', '--show-secret']).then((all: { id: string; secret: string }[]) => all.filter((e) => e.id === id));
    expect(shown!.secret).not.toBe(before);
    expect(shown!.secret).toMatch(/^whsec_/);
    expect(rotated.stdout).toContain(`✓ Webhook ${id} has a new signing secret`);
    expect(rotated.stdout).toContain(`  Secret: ${shown!.secret}`);
    expect(rotated.stdout).toMatch(/The old secret also signs until \d{4}-\d\d-\d\dT[\d:.]+Z; give receivers the new one before then\./);
    const json = await f.json(['webhooks', 'rotate-secret', id, '--json']);
    expect(json).toEqual({ id, secret: expect.stringMatching(/^whsec_/), previousSecretExpiresAt: expect.any(String) });
    expect(json.secret).not.toBe(shown!.secret);
    const unknown = await f.run(['webhooks', 'rotate-secret', 'wh_nosuchendpoint']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: .*not found.*; list the project's webhooks with 'orra webhooks ls'/);
  });

  it('recovers the deliveries that failed since a time or a span; a bad --since, an unknown or a disabled endpoint are clear errors', async () => {
    const url = `http://127.0.0.1:${await freePort()}/recover-me`;
    const { id } = (await f.json(['webhooks', 'add', url, '--json'])) as { id: string };
    const recovered = await f.expectOk(['webhooks', 'recover', id, '--since', '2026-01-01T00:00:00Z']);
    expect(recovered.stdout).toContain(`✓ Queued 0 failed deliveries to ${id} (failed since 2026-01-01T00:00:00Z)`);
    const json = await f.json(['webhooks', 'recover', id, '--since', '6h', '--json']);
    expect(json).toEqual({ id, since: expect.any(String), requeued: 0 });
    // A span is counted back from now.
    expect(Math.abs(Date.now() - 6 * 3_600_000 - Date.parse(json.since))).toBeLessThan(60_000);
    for (const bad of ['yesterday', '6w', '2026-13-45']) {
      const res = await f.run(['webhooks', 'recover', id, '--since', bad]);
      expect(res.code, bad).toBe(2);
      expect(res.stderr).toContain(`invalid --since '${bad}'; give an RFC 3339 time such as 2026-10-27T15:00:00Z or a span back from now such as 30m, 6h or 2d`);
    }
    const missing = await f.run(['webhooks', 'recover', id]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("'--since <time>' not specified");
    const unknown = await f.run(['webhooks', 'recover', 'wh_nosuchendpoint', '--since', '1h']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: .*not found.*; list the project's webhooks with 'orra webhooks ls'/);
    await f.expectOk(['webhooks', 'disable', id]);
    const disabled = await f.run(['webhooks', 'recover', id, '--since', '1h']);
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toContain(`webhook ${id} is disabled; enable it first`);
  });
});
