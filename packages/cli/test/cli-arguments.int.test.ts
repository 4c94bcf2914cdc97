import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/program.js';
import { CliFixture } from './helpers/cli-fixture.js';

/**
 * The CLI's own argument handling (`-d field:value`, `--reason`), driven through its program in this
 * process against a real engine, so that the mutation run (npm run mutation -- cli-arguments), which
 * mutates src/ and not the built dist/ that the spawned `orra` runs, sees what these tests check.
 */
describe('orra argument handling (-d, --reason), in process', () => {
  const f = new CliFixture();
  beforeAll(() => f.start({}, 'args'));
  afterAll(() => f.dispose());

  /** `orra ARGS` run in this process with the fixture's config: exit code and what it printed. */
  async function orra(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await run(args, {
      stdout: { write: (t: string) => ((stdout += t), true) },
      stderr: { write: (t: string) => ((stderr += t), true) },
      env: f.home.env(),
    });
    return { code, stdout, stderr };
  }

  /** How many orchestrations the project has (`ps --json` groups them by status). */
  const orchestrationCount = async () => {
    const groups = JSON.parse((await orra(['ps', '--json'])).stdout) as Record<string, unknown[] | null>;
    return Object.values(groups).reduce((n, list) => n + (list?.length ?? 0), 0);
  };

  it('sends each -d as orra does: field trimmed, JSON only when wrapped in [..] or {..}, lists split at commas', async () => {
    const recorder = await f.serviceWithSchema(
      'arg-recorder',
      {
        input: { type: 'object', properties: { orderId: { type: 'string' } } },
        output: { type: 'object', properties: { ok: { type: 'boolean' } } },
      },
      async () => ({ ok: true }),
    );
    const plan = f.planFile('args', [[recorder.id, { orderId: '$task0.orderId' }]]);
    const r = await orra([
      'verify',
      'run',
      'Record order ORD1',
      '--plan',
      plan,
      '--json',
      '-d',
      ' orderId :ORD1',
      '-d',
      'items: [1, 2] ',
      '-d',
      'prefs:{"channel":"email"}',
      '-d',
      'draft:[not closed',
      '-d',
      'brace:{not closed',
      '-d',
      'closing:not opened]',
      '-d',
      'shape:not opened}',
      '-d',
      'bracketList:[a,b',
      '-d',
      'tags: a, b ',
      '-d',
      'plain: kept as written ',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).data).toEqual([
      { field: 'orderId', value: 'ORD1' },
      { field: 'items', value: [1, 2] },
      { field: 'prefs', value: { channel: 'email' } },
      { field: 'draft', value: '[not closed' },
      { field: 'brace', value: '{not closed' },
      { field: 'closing', value: 'not opened]' },
      { field: 'shape', value: 'not opened}' },
      { field: 'bracketList', value: '[a,b' },
      { field: 'tags', value: ['a', 'b'] },
      { field: 'plain', value: ' kept as written ' },
    ]);
  });

  it.each([
    [
      'nocolon',
      "option '-d, --data <field:value>' argument 'nocolon' is invalid. Expected field:value, e.g. -d orderId:ORD123",
    ],
    [
      ':ORD1',
      "option '-d, --data <field:value>' argument ':ORD1' is invalid. Expected field:value, e.g. -d orderId:ORD123",
    ],
    ['items:[1,]', undefined],
    ['meta:{"a":}', undefined],
  ])(
    'refuses -d %s as a usage error (exit 2) naming the problem, and submits nothing',
    async (data, message) => {
      const before = await orchestrationCount();
      const r = await orra(['verify', 'run', 'Anything', '-d', 'ok:1', '-d', data]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      if (message) expect(r.stderr).toBe(`Error: ${message}; see 'orra verify run --help'\n`);
      else
        expect(r.stderr).toMatch(
          /^Error: option .* is invalid\. The value of (items|meta) looks like JSON but is not: .+; see 'orra verify run --help'\n$/,
        );
      expect(await orchestrationCount()).toBe(before);
    },
  );

  it.each([
    ['comp-fail', 'resolve', 'c_7HqL7Vx9PpbRDbZiqvPTgA'],
    ['comp-fail', 'ignore', 'c_7HqL7Vx9PpbRDbZiqvPTgA'],
    ['abort', 'o_MdB26xtW9PpbRDbZiqvPTg'],
  ])(
    'refuses a blank --reason for %s %s as a usage error (exit 2) before asking the engine',
    async (...command) => {
      for (const reason of ['', '   ', '\t']) {
        const r = await orra([...command, '--reason', reason]);
        expect(r.code, JSON.stringify(reason)).toBe(2);
        expect(r.stderr).toBe(
          `Error: option '${command[0] === 'abort' ? '--reason <text>' : '-r, --reason <text>'}' argument '${reason}' is invalid. It must not be blank: say why, e.g. --reason "Customer cancelled"; see 'orra ${command.slice(0, -1).join(' ')} --help'\n`,
        );
      }
    },
  );

  it('passes a real --reason on to the engine as written (which then answers for the unknown id)', async () => {
    for (const action of ['resolve', 'ignore']) {
      const r = await orra([
        'comp-fail',
        action,
        'c_7HqL7Vx9PpbRDbZiqvPTgA',
        '--reason',
        ' Refunded by hand ',
      ]);
      // Not a usage error and not the engine's "reason required" 400: the reason reached it, the id did not exist.
      expect(r.code, action).toBe(1);
      expect(r.stderr, action).toContain('failed compensation not found: c_7HqL7Vx9PpbRDbZiqvPTgA');
    }
  });
});
