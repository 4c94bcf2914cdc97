import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasScript } from './helpers/cli.js';
import { CliFixture } from './helpers/cli-fixture.js';

/**
 * `orra config reset` forgets every project and its keys, which exist nowhere else: it says what would
 * be lost, asks on a terminal, needs --yes otherwise, and refuses (exit 2) without either.
 */
describe('orra config reset', () => {
  const f = new CliFixture();
  const configText = () => readFileSync(f.home.configPath, 'utf8');

  beforeAll(async () => {
    await f.start({}, 'shop');
    await f.expectOk(['projects', 'add', 'staging', '--server', f.engine.url]);
    await f.expectOk(['api-keys', 'gen', 'inventory']);
  });
  afterAll(() => f.dispose());

  it('refuses without a terminal or --yes (exit 2), naming the projects and keys, and changes nothing', async () => {
    const before = configText();
    const r = await f.run(['config', 'reset']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Error: config reset would forget 2 projects (shop, staging) and 3 API keys kept only in ${f.home.configPath}; the engine keeps the projects but cannot show their keys again; run it in a terminal to confirm, or pass --yes\n`,
    );
    expect(configText()).toBe(before);
  });

  it.skipIf(!hasScript)('asks on a terminal: anything but yes keeps the file, yes resets it', async () => {
    const before = configText();
    const declined = await f.home.runOnTty(['config', 'reset'], { input: 'n\n', env: { NO_COLOR: '1' } });
    expect(declined.code).toBe(1);
    expect(declined.output).toContain('This forgets 2 projects (shop, staging) and 3 API keys kept only in');
    expect(declined.output).toContain('Reset? [y/N]');
    expect(declined.output).toContain('Error: config reset cancelled; nothing changed in');
    expect(configText()).toBe(before);

    const copy = `${f.home.configPath}.copy`;
    writeFileSync(copy, before);
    const accepted = await f.home.runOnTty(['--config', copy, 'config', 'reset'], { input: 'yes\n' });
    expect(accepted.code).toBe(0);
    expect(accepted.output).toContain(`Config successfully reset, path: ${copy}`);
    expect(JSON.parse(readFileSync(copy, 'utf8'))).toEqual({});
  });

  it('resets with --yes, still saying what it forgot; an empty config needs no confirmation', async () => {
    const r = await f.expectOk(['config', 'reset', '--yes']);
    expect(r.stderr).toBe(
      `Forgetting 2 projects (shop, staging) and 3 API keys kept only in ${f.home.configPath}; the engine keeps the projects but cannot show their keys again\n`,
    );
    expect(r.stdout).toBe(`Config successfully reset, path: ${f.home.configPath}\n`);
    expect(JSON.parse(configText())).toEqual({});
    const again = await f.expectOk(['config', 'reset']);
    expect(again.stderr).toBe('');
  });
});
