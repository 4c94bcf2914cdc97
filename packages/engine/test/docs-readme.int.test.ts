import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { parseCurlCommands, sendCurl } from './helpers/curl-command.js';
import { fillPlaceholders } from './helpers/doc-json.js';
import { MarkdownDoc, REPO_ROOT } from './helpers/markdown-doc.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * The README's examples against a real engine: the service snippet runs as its own Node process (with
 * the SDK of this repository), and the two curl commands run as written, placeholders filled.
 */
const readme = MarkdownDoc.read('README.md');

describe('README.md examples against a real engine', () => {
  let engine: TestEngine;
  let api: Api;
  let projectId: string;
  let dir = '';
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'orra-readme-'));
    engine = await startTestEngine();
    ({ api, projectId } = await newProject(engine.url, 'readme'));
  });
  afterAll(async () => {
    child?.kill();
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

  it('the service snippet registers and serves tasks; the curl commands run an orchestration and inspect it', async () => {
    const snippet = readme.blocks('ts')[0]!.text;
    expect(snippet).toContain("'http://127.0.0.1:8005'");
    const js = ts.transpileModule(snippet.replace("'http://127.0.0.1:8005'", `'${engine.url}'`), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'service.js'), js);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir'); // @orra/sdk is a workspace link
    child = spawn(process.execPath, ['service.js'], {
      cwd: dir,
      env: { ...process.env, ORRA_API_KEY: api.apiKey! },
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const service = await waitFor(
      async () => (await engine.store.services.listByProject(projectId)).find((s) => s.name === 'echo'),
      {
        what: `the echo service registered (${output})`,
      },
    );

    const script = readme.blocks('sh').find((b) => b.text.includes('/orchestrations'))!.text;
    const env = { ORRA_API_KEY: api.apiKey! };
    const [submit] = parseCurlCommands(fillPlaceholders(script, { 's_…': service.id }), env);
    expect(submit!.body, 'an unfilled placeholder').not.toContain('…');
    const created = await sendCurl(submit!, engine.url);
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    await waitFor(
      async () => (await api.get(`/orchestrations/${created.body.id}`)).body.status === 'completed',
      {
        what: `the orchestration to complete (${output})`,
      },
    );
    const [, inspect] = parseCurlCommands(
      fillPlaceholders(script, { 's_…': service.id, 'o_…': created.body.id }),
      env,
    );
    const inspection = await sendCurl(inspect!, engine.url);
    expect(inspection.status).toBe(200);
    expect(inspection.body).toMatchObject({ status: 'completed', results: [{ echo: 'hello' }] });
  });

  it('links only to documents that exist, and to every document in docs/', () => {
    const links = [...readme.text.matchAll(/\]\(((?:docs|bench)\/[^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    expect(links.filter((l) => !existsSync(join(REPO_ROOT, l)))).toEqual([]);
    const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    expect(docs.filter((f) => !links.includes(`docs/${f}`))).toEqual([]);
  });
});
