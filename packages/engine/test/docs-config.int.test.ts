import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../src/app.js';
import { ENV_NAMES, loadConfig, type Config } from '../src/config/config.js';
import { MarkdownDoc, markdownTables } from './helpers/markdown-doc.js';

/**
 * docs/config.md through the engine's own config loader: the JSON config file example loads (and the
 * documented precedence holds for it), the example start-up error is what the built engine prints for a
 * bad value, and every row of the tables names the key's real environment variable and its real default.
 */
const doc = MarkdownDoc.read('docs/config.md');
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** `16 MiB`, `30 days`, `2 min`, `24 h`: the value in the unit the config uses (bytes or milliseconds). */
const UNITS: Record<string, number> = { MiB: 1024 * 1024, days: 86_400_000, min: 60_000, h: 3_600_000 };

interface KeyRow {
  key: keyof Config;
  env: string;
  /** The default as written, `undefined` for `unset`. */
  default: string | undefined;
  /** The default's plain-words form, e.g. `16 MiB` of `` `16777216` (16 MiB) ``. */
  inWords: string | undefined;
}

function keyRows(): KeyRow[] {
  return markdownTables(doc.text)
    .filter((t) => t.header.join() === 'Key,Environment,Default,Meaning')
    .flatMap((t) => t.rows)
    .map(([key, env, value]) => {
      const backticked = (cell: string | undefined) => /^`([^`]+)`/.exec(cell ?? '')?.[1];
      return {
        key: backticked(key) as keyof Config,
        env: backticked(env)!,
        default: value === 'unset' ? undefined : backticked(value),
        inWords: /\(([^)]+)\)$/.exec(value ?? '')?.[1],
      };
    });
}

describe('docs/config.md against the engine config loader', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'orra-config-doc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the JSON config file example loads, below the environment and above the defaults', async () => {
    const [example] = doc.blocks('json');
    const file = join(dir, 'engine.json');
    writeFileSync(file, example!.text);
    const values = JSON.parse(example!.text) as Record<string, unknown>;
    expect(Object.keys(values).length).toBeGreaterThan(0);

    const config = loadConfig({ env: { ORRA_CONFIG_FILE: file } });
    expect(config).toMatchObject(values);
    // The documented order: defaults → config file → environment → explicit overrides.
    const [key, value] = Object.entries(values)[0]!;
    const envName = ENV_NAMES[key as keyof Config];
    const fromEnv = String(Number(value) + 1);
    expect(loadConfig({ env: { ORRA_CONFIG_FILE: file, [envName]: fromEnv } })[key as keyof Config]).toBe(
      Number(fromEnv),
    );
    expect(
      loadConfig({ env: { ORRA_CONFIG_FILE: file, [envName]: fromEnv }, overrides: { [key]: 7 } })[
        key as keyof Config
      ],
    ).toBe(7);

    // And an engine starts on it (on port 0 rather than the example's, which may be taken).
    const engine = await startEngine({
      env: { ORRA_CONFIG_FILE: file },
      overrides: { port: 0, dataDir: join(dir, 'data'), logLevel: 'silent' },
    });
    try {
      expect(engine.config).toMatchObject({ ...values, port: 0 });
      expect((await fetch(`${engine.url}/health`)).status).toBe(200);
    } finally {
      await engine.close();
    }
  });

  it('the example start-up error is what the built engine prints for a bad PORT, and it exits 1', () => {
    const documented = /for example\s+`(orra-engine: invalid configuration [^`]+)`/.exec(
      doc.text.replace(/\n/g, ' '),
    )?.[1];
    expect(documented).toBeDefined();
    const run = spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, HOME: dir, PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${documented}\n`);
  });

  it('every key row names its environment variable and its real default', () => {
    const rows = keyRows();
    expect(rows.map((r) => r.key).sort()).toEqual(Object.keys(ENV_NAMES).sort());
    const defaults = loadConfig({ env: {} });
    const problems: string[] = [];
    for (const row of rows) {
      if (ENV_NAMES[row.key] !== row.env)
        problems.push(`${row.key}: documented ${row.env}, is ${ENV_NAMES[row.key]}`);
      const actual = defaults[row.key];
      if (row.default === undefined) {
        if (actual !== undefined) problems.push(`${row.key}: documented unset, is ${JSON.stringify(actual)}`);
        continue;
      }
      // Setting the variable to the documented default must change nothing: the loader reads it as the
      // default it uses (numbers, lists of durations, booleans alike).
      const written = row.default.replace(/^~/, homedir()).replace('<dataDir>', defaults.dataDir);
      const asSet = loadConfig({ env: { [row.env]: written } })[row.key];
      if (JSON.stringify(asSet) !== JSON.stringify(actual))
        problems.push(`${row.key}: documented ${row.default}, is ${JSON.stringify(actual)}`);
      if (row.inWords) {
        const m = /^(\d+) (\w+)$/.exec(row.inWords);
        if (!m || !UNITS[m[2]!]) problems.push(`${row.key}: cannot read "(${row.inWords})"`);
        else if (Number(m[1]) * UNITS[m[2]!]! !== actual)
          problems.push(`${row.key}: (${row.inWords}) is not ${JSON.stringify(actual)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
