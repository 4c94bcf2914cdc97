import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliFixture, waitFor } from './helpers/cli-fixture.js';

describe('orra services ls · inspect', () => {
  const f = new CliFixture();
  beforeAll(() => f.start());
  afterAll(() => f.dispose());

  it('says how services appear while the project has none', async () => {
    const r = await f.expectOk(['services', 'ls']);
    expect(r.stdout).toBe(
      'No services yet; a service appears here once it registers with the SDK (initService or initAgent)\n',
    );
    expect(await f.json(['services', 'ls'])).toEqual([]);
  });

  it('shows a service that went away as disconnected, in the table and in inspect', async () => {
    const svc = await f.service({
      name: 'labels',
      input: { orderId: 'string' },
      output: { label: 'string' },
      handler: async () => ({ label: 'L1' }),
    });
    await svc.shutdown();
    // The engine hears of the close a moment after the SDK has closed.
    const listed = await waitFor(
      async () => {
        const [s] = await f.json(['services', 'ls']);
        return s.connection.state === 'disconnected' ? s : undefined;
      },
      { what: 'labels to show as disconnected' },
    );
    expect(listed).toMatchObject({
      id: svc.id,
      name: 'labels',
      connection: { state: 'disconnected', sockets: 0 },
    });
    const table = (await f.expectOk(['services', 'ls'])).stdout;
    expect(table).toMatch(new RegExp(`│ labels +${svc.id} service +no +○ disconnected (just now|\\d+m)\\n`));
    const inspect = (await f.expectOk(['services', 'inspect', svc.id])).stdout;
    expect(inspect).toContain(`│ Connection:  disconnected since ${listed.connection.since}\n`);
    expect(inspect).toContain('│   orderId  string\n');
    expect(await f.json(['services', 'inspect', svc.id])).toEqual(listed);
  });

  it('names an unknown id in one error line (exit 1)', async () => {
    const r = await f.run(['services', 'inspect', 's_nosuchservice']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error: unknown service: s_nosuchservice is not a service or agent of this project\n',
    );
  });
});
