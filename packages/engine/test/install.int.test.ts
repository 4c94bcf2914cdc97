import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/markdown-doc.js';

const readJson = (path: string) => JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8'));

/**
 * What `npm ci` on a fresh clone does with this repository, checked on the files it reads: the
 * lockfile's packages against the Node versions the project states, and the workspaces' bins against
 * what git holds (dist/ does not exist when npm links bins).
 */
describe('installing from a fresh clone', () => {
  it('every locked package supports every Node version the project states, so npm ci warns of no engine', () => {
    const stated = readJson('package.json').engines.node as string;
    expect(
      semver.satisfies(process.versions.node, stated),
      `this Node (${process.versions.node}) is not ${stated}`,
    ).toBe(true);
    const lock = readJson('package-lock.json') as { packages: Record<string, { engines?: unknown }> };
    const unsupported = Object.entries(lock.packages)
      .map(([path, p]) => [path, (p.engines as { node?: string } | undefined)?.node] as const)
      .filter(([, node]) => typeof node === 'string' && !semver.subset(stated, node))
      .map(([path, node]) => `${path} needs Node ${node}`);
    expect(unsupported, `the project states Node ${stated}`).toEqual([]);
  });

  it('each workspace bin is a committed file (npm links it at install time), and npx orra-engine runs the engine', () => {
    const tracked = new Set(
      execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n'),
    );
    const workspaces = readJson('package.json').workspaces as string[];
    const missing: string[] = [];
    for (const dir of workspaces) {
      const bins = (readJson(`${dir}/package.json`).bin ?? {}) as Record<string, string>;
      for (const [name, target] of Object.entries(bins)) {
        const path = join(dir, target).replace(/^\.\//, '');
        if (!tracked.has(path)) missing.push(`${name} -> ${path}`);
      }
    }
    // The CLI's bin is linked by `npm link -w packages/cli` after a build (docs/cli.md), not at install.
    expect(missing.filter((m) => !m.startsWith('orra -> packages/cli/'))).toEqual([]);

    // The README's `npx orra-engine`: a bad PORT makes it fail at once, which shows it ran the engine.
    const run = spawnSync('npx', ['--no-install', 'orra-engine'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: 'not-a-port' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toBe(
      'orra-engine: invalid configuration PORT (environment): Invalid input: expected number, received NaN\n',
    );
  });
});
