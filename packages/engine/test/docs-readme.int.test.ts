import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from './helpers/api.js';
import { parseCurlCommands, sendCurl } from './helpers/curl-command.js';
import { fillPlaceholders } from './helpers/doc-json.js';
import { MarkdownDoc, REPO_ROOT } from './helpers/markdown-doc.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * The README's examples against a real engine: the echo-service example is copied to a folder outside
 * the repository, gets the SDK and runs with the commands the README gives, and the curl commands run
 * as written, placeholders filled.
 */
const readme = MarkdownDoc.read('README.md');
const EXAMPLE = join(REPO_ROOT, 'examples', 'echo-service');

/** The README's one `sh` block that contains `text`. */
function shBlock(text: string): string {
  const found = readme.blocks('sh').filter((b) => b.text.includes(text));
  if (found.length !== 1) throw new Error(`README.md: expected one sh block with "${text}", found ${found.length}`);
  return found[0]!.text;
}

describe('README.md examples against a real engine', () => {
  let engine: TestEngine;
  let dir = '';
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'orra-readme-'));
    engine = await startTestEngine();
  });
  afterAll(async () => {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('quick start: the two documented commands, demo first', () => {
    const [commands] = readme.blocks('sh');
    expect(commands!.text.split('\n').map((l) => l.replace(/\s+#.*$/, ''))).toEqual([
      'npm ci && npm run demo',
      'npm ci && npm test',
    ]);
  });

  it('the echo-service example: copied outside the repository, installed with no registry as written, serves the orchestration of the curl commands', async () => {
    // A project and its key, with the README's command.
    const [register] = parseCurlCommands(shBlock('/register/project'));
    const project = await sendCurl(register!, engine.url);
    expect(project.status, JSON.stringify(project.body)).toBe(201);
    const apiKey = project.body.apiKey as string;

    // The README shows the example's file as it is.
    expect(readme.blocks('js')[0]!.text).toBe(readFileSync(join(EXAMPLE, 'service.mjs'), 'utf8').trimEnd());

    // The install commands as written, with a home of their own outside the repository, and npm offline.
    const [build, ...install] = shBlock('pack:sdk').split('\n');
    expect(build!.replace(/\s+#.*$/, '')).toBe('npm ci && npm run build'); // done: `npm test` builds first
    const home = join(dir, 'home');
    mkdirSync(home);
    // A user's shell: none of the npm_* variables and INIT_CWD that `npm test` hands down.
    const shellEnv = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && key !== 'INIT_CWD'),
    );
    const env = {
      ...shellEnv,
      HOME: home,
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    const installed = spawnSync('sh', ['-e', '-c', install.join('\n')], { cwd: REPO_ROOT, env, encoding: 'utf8' });
    expect(installed.status, installed.stdout + installed.stderr).toBe(0);
    const serviceDir = join(home, 'echo-service');
    expect(realpathSync(join(serviceDir, 'node_modules', '@orra', 'sdk')).startsWith(serviceDir)).toBe(true);

    // Started as written (key filled in), in its own process group so the whole of `npm start` stops.
    const start = fillPlaceholders(shBlock('npm start'), { 'sk-orra-…': apiKey });
    child = spawn('sh', ['-c', start], { cwd: serviceDir, env: { ...env, ORRA_URL: engine.url }, detached: true });
    const exited = new Promise((r) => child!.once('exit', r));
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const serviceId = (await waitFor(() => /echo service ready: (s_\w+)/.exec(output)?.[1], {
      what: `the echo service to start (${output})`,
      timeoutMs: 30_000,
    }))!;

    const script = shBlock('/orchestrations');
    const keyEnv = { ORRA_API_KEY: apiKey };
    const [submit] = parseCurlCommands(fillPlaceholders(script, { 's_…': serviceId }), keyEnv);
    expect(submit!.body, 'an unfilled placeholder').not.toContain('…');
    const created = await sendCurl(submit!, engine.url);
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const api = new Api(engine.url, apiKey);
    await waitFor(async () => (await api.get(`/orchestrations/${created.body.id}`)).body.status === 'completed', {
      what: `the orchestration to complete (${output})`,
    });
    const [, inspect] = parseCurlCommands(fillPlaceholders(script, { 's_…': serviceId, 'o_…': created.body.id }), keyEnv);
    const inspection = await sendCurl(inspect!, engine.url);
    expect(inspection.status).toBe(200);
    expect(inspection.body).toMatchObject({ status: 'completed', results: [{ echo: 'hello' }] });
    const [, , services] = parseCurlCommands(script, keyEnv);
    const listed = await sendCurl(services!, engine.url);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject([{ id: serviceId, name: 'echo', connection: { state: 'connected' } }]);

    // SIGTERM, as a supervisor stops it: the service closes its connection and the process ends.
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    child = undefined;
  });

  it('the layout names every package, example and workspace, and the other top-level folders', () => {
    const layout = readme.section('Layout', 2).body;
    const folders = (parent: string) =>
      readdirSync(join(REPO_ROOT, parent), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => `${parent}/${d.name}`);
    const workspaces = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
    const expected = new Set([...folders('packages'), ...folders('examples'), ...workspaces, 'bench', 'docs', 'scripts']);
    expect([...expected].filter((f) => !layout.includes(`\`${f}\``))).toEqual([]);
  });

  it('links only to documents that exist, and to every document in docs/', () => {
    const links = [...readme.text.matchAll(/\]\(((?:docs|bench)\/[^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    expect(links.filter((l) => !existsSync(join(REPO_ROOT, l)))).toEqual([]);
    const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    expect(docs.filter((f) => !links.includes(`docs/${f}`))).toEqual([]);
  });
});
