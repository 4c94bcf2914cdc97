import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, run } from '../src/program.js';
import { ANSI, hasScript, testHome, type CliHome } from './helpers/cli.js';
import { CliFixture } from './helpers/cli-fixture.js';

/** A server that answers every request 404 "no route", like an engine without the grounding routes. */
async function engineWithoutRoutes(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: {
          kind: 'item does not exist',
          code: 'Orra:RouteNotFound',
          message: `no route ${req.method} ${req.url}`,
        },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

/** Writes a config with one project pointing at `server`. */
function projectAt(home: CliHome, server: string, name = 'remote'): void {
  writeFileSync(
    home.configPath,
    JSON.stringify({
      current_project: name,
      projects: { [name]: { id: 'p_x', cli_auth: 'sk-orra-v1-x', server_addr: server } },
    }),
  );
}

const oneErrorLine = (stderr: string) => {
  expect(stderr).toMatch(/^Error: \S.*\n$/);
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('orra: config, help, version and errors', () => {
  const f = new CliFixture();
  beforeAll(() => f.start({}, 'first'));
  afterAll(() => f.dispose());

  it('has --help with examples on every command', async () => {
    const paths: string[][] = [];
    const walk = (cmd: Command, path: string[]) => {
      paths.push(path);
      for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
    };
    walk(buildProgram({ stdout: { write: () => true }, stderr: { write: () => true }, env: {} }), []);
    expect(paths.length).toBeGreaterThan(35);
    for (const path of paths) {
      let text = '';
      const code = await run([...path, '--help'], {
        stdout: { write: (t: string) => (text += t) },
        stderr: { write: () => true },
        env: {},
      });
      expect(code, path.join(' ')).toBe(0);
      expect(text, `orra ${path.join(' ')} --help`).toContain('Examples:\n  $ orra');
    }
    const viaBinary = await f.run(['comp-fail', 'resolve', '--help']);
    expect(viaBinary.code).toBe(0);
    expect(viaBinary.stdout).toContain(
      'orra comp-fail resolve c_7HqL7Vx9PpbRDbZiqvPTgA --reason "Manually refunded customer"',
    );
  });

  it("keeps projects in orra's config shape; the first is current, use switches, -p picks one", async () => {
    await f.expectOk(['projects', 'add', 'second', '--server', `${f.engine.url}/`]);
    const config = f.config();
    expect(config.current_project).toBe('first');
    expect(config.projects.second).toEqual({
      id: expect.stringMatching(/^p_/),
      cli_auth: expect.stringMatching(/^sk-orra-v1-/),
      server_addr: f.engine.url,
    });
    expect((await f.expectOk(['projects', 'use', 'second'])).stdout).toBe('Now using project: second\n');
    const ls = await f.expectOk(['projects', 'ls']);
    expect(ls.stdout).toMatch(/Current project: second[\s\S]*\* second\n +ID: +p_/);
    expect(await f.json(['projects', 'ls'])).toEqual([
      expect.objectContaining({ name: 'first', current: false }),
      expect.objectContaining({ name: 'second', current: true, server: f.engine.url }),
    ]);
    const key = await f.json(['-p', 'first', 'api-keys', 'gen', 'inventory']);
    expect(key).toMatchObject({
      name: 'inventory',
      project: 'first',
      apiKey: expect.stringMatching(/^sk-orra-v1-/),
    });
    expect(f.config().projects.first.api_key).toEqual({ inventory: key.apiKey });
    expect((await f.expectOk(['api-keys', 'ls', '-p', 'first'])).stdout).toContain(
      `- inventory\n  KEY: ${key.apiKey}`,
    );
    const dup = await f.run(['-p', 'first', 'api-keys', 'gen', 'inventory']);
    expect(dup.code).toBe(1);
    oneErrorLine(dup.stderr);
    const again = await f.run(['projects', 'add', 'second', '--server', f.engine.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("project 'second' already exists");
    await f.expectOk(['projects', 'use', 'first']);
  });

  it('reads --config before ORRA_CONFIG before ~/.orra/config.json, and config reset writes {}', async () => {
    const other = join(f.home.dir, 'other.json');
    await f.expectOk(['--config', other, 'projects', 'add', 'elsewhere', '--server', f.engine.url]);
    expect(JSON.parse(readFileSync(other, 'utf8')).projects.elsewhere).toBeDefined();
    expect(f.config().projects.elsewhere).toBeUndefined();
    const atHome = await f.run(['projects', 'add', 'home', '--server', f.engine.url], {
      ORRA_CONFIG: undefined,
    });
    expect(atHome.code).toBe(0);
    expect(existsSync(join(f.home.dir, '.orra', 'config.json'))).toBe(true);
    const reset = await f.expectOk(['--config', other, 'config', 'reset', '--yes']);
    expect(reset.stdout).toBe(`Config successfully reset, path: ${other}\n`);
    expect(readFileSync(other, 'utf8').trim()).toBe('{}');
  });

  it('prints the client and the server version', async () => {
    const out = await f.expectOk(['version']);
    expect(out.stdout).toMatch(
      /^Client Version: v\d+\.\d+\.\d+\nServer Version: v\d+\.\d+\.\d+ \(http:\/\/127\.0\.0\.1:\d+\)\n$/,
    );
    expect(await f.json(['version'])).toMatchObject({
      client: expect.any(String),
      server: expect.any(String),
    });
    const home = testHome();
    expect((await home.run(['version'])).stdout).toContain('Server Version: unknown (no project configured');
  });

  it('fails with one clear line and exit 1 for a wrong project, an unknown id and a server error', async () => {
    const wrong = await f.run(['-p', 'nope', 'ps']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^Error: no project named 'nope' in .*config\.json \(known: first, second\); see 'orra projects ls'\n$/,
    );
    for (const [args, hint] of [
      [['inspect', 'o_doesNotExist'], "list orchestrations with 'orra ps'"],
      [['comp-fail', 'inspect', 'c_doesNotExist'], "list them with 'orra comp-fail ls --all'"],
      [
        ['comp-fail', 'resolve', 'c_doesNotExist', '--reason', 'x'],
        "list them with 'orra comp-fail ls --all'",
      ],
      [['abort', 'o_doesNotExist'], "list orchestrations with 'orra ps'"],
      [['webhooks', 'inspect', 'nothing'], "'orra webhooks deliveries'"],
    ] as const) {
      const r = await f.run([...args]);
      expect(r.code, args.join(' ')).toBe(1);
      oneErrorLine(r.stderr);
      expect(r.stderr).toContain(hint);
      expect(r.stdout).toBe('');
    }
    const empty = await testHome().run(['ps']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(
      /^Error: no project configured in .*; add one with 'orra projects add NAME --server URL'\n$/,
    );
  });

  it('fails with exit 2 for usage errors, naming the command to get help for', async () => {
    for (const [args, text] of [
      [
        ['comp-fail', 'resolve', 'c_x'],
        "Error: required option '-r, --reason <text>' not specified; see 'orra comp-fail resolve --help'",
      ],
      [
        ['comp-fail', 'ignore', 'c_x'],
        "Error: required option '-r, --reason <text>' not specified; see 'orra comp-fail ignore --help'",
      ],
      [['pss'], "Error: unknown command 'pss' (Did you mean ps?); see 'orra --help'"],
      [['verify', 'run', 'x', '-d', 'nocolon'], 'Expected field:value'],
      [['verify', 'run', 'x', '-t', 'soon'], 'Use a positive duration'],
      [['inspect', 'o_x', '-u', '--long-updates'], "cannot be used with option '--long-updates'"],
      [['comp-fail', 'ls', '-r', 'maybe'], 'Allowed choices are pending, resolved, ignored'],
      [['grounding', 'rm'], 'give either a spec NAME or --all'],
      [['webhooks', 'add', 'not a url'], "invalid webhook URL 'not a url'"],
      [['ps', '--bogus'], "unknown option '--bogus'"],
    ] as const) {
      const r = await f.run([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      oneErrorLine(r.stderr);
      expect(r.stderr).toContain(text);
    }
  });

  it('names the URL of an unreachable server and suggests orra projects add --server', async () => {
    const { server, url } = await engineWithoutRoutes();
    await new Promise((r) => server.close(r)); // now nothing listens there
    const home = testHome();
    projectAt(home, url);
    for (const args of [['ps'], ['comp-fail', 'ls'], ['webhooks', 'ls'], ['version']]) {
      const r = await home.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(
        `Error: cannot reach the orra engine at ${url} (ECONNREFUSED); check that it is running, or point the project at the right address with 'orra projects add NAME --server URL'\n`,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const add = await home.run(['projects', 'add', 'new', '--server', url]);
    expect(add.code).toBe(1);
    oneErrorLine(add.stderr);
  });

  it('says grounding is not available on an engine without the routes', async () => {
    const { server, url } = await engineWithoutRoutes();
    try {
      const home = testHome();
      projectAt(home, url);
      const r = await home.run(['grounding', 'ls']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'Error: grounding specs are not available on this engine (it has no /groundings routes); upgrade the engine to use them\n',
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('reports an unreadable config file in one line', async () => {
    const home = testHome();
    writeFileSync(home.configPath, '{ not json');
    const r = await home.run(['ps']);
    expect(r.code).toBe(1);
    oneErrorLine(r.stderr);
    expect(r.stderr).toContain("orra config reset'");
    expect((await home.run(['config', 'reset', '--yes'])).code).toBe(0);
  });

  it.skipIf(!hasScript)('colours only on a terminal, and never with NO_COLOR or --no-color', async () => {
    const onTty = async (args: string[], env: Record<string, string | undefined> = {}) =>
      (await f.home.runOnTty(args, { env })).output;
    expect(ANSI.test(await onTty(['projects', 'ls']))).toBe(true);
    expect(ANSI.test(await onTty(['projects', 'ls'], { NO_COLOR: '1' }))).toBe(false);
    expect(ANSI.test(await onTty(['projects', 'ls', '--no-color']))).toBe(false);
    expect(ANSI.test((await f.run(['projects', 'ls'])).stdout)).toBe(false);
  });
});
