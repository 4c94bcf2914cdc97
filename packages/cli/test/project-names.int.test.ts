import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHome } from './helpers/cli.js';
import { CliFixture } from './helpers/cli-fixture.js';

describe('orra projects add: project names', () => {
  const f = new CliFixture();
  beforeAll(() => f.start({}, 'shop'));
  afterAll(() => f.dispose());

  it.each([
    ['empty', '', 'Error: project name "" must not be empty or blank'],
    ['blank', '   ', 'Error: project name "   " must not be empty or blank'],
    [
      'over 100 characters',
      'n'.repeat(101),
      `Error: project name "${'n'.repeat(101)}" must be at most 100 characters (got 101)`,
    ],
  ])(
    'refuses a name that is %s as a usage error (exit 2) and saves nothing',
    async (_what, name, message) => {
      const before = f.config();
      const r = await f.run(['projects', 'add', name, '--server', f.engine.url]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`${message}\n`);
      expect(f.config()).toEqual(before);
    },
  );

  it("refuses a name the engine has already (another CLI home added it), with the engine's 400 message", async () => {
    const other = new CliHome();
    try {
      const r = await other.run(['projects', 'add', 'SHOP', '--server', f.engine.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'a project named "shop" already exists on this engine (names are compared ignoring case); pick another name',
      );
      expect(r.stdout).not.toContain('added');
    } finally {
      other.dispose();
    }
  });

  it('refuses a name of the config file in another case before asking the engine', async () => {
    const r = await f.run(['projects', 'add', 'Shop', '--server', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("project 'shop' already exists in");
    expect(r.stderr).toContain('(names are compared ignoring case)');
  });

  it('trims the name, and quotes a name with spaces in the hint it prints', async () => {
    const r = await f.expectOk(['projects', 'add', '  my shop ', '--server', f.engine.url]);
    expect(r.stdout).toContain('✓ Project my shop added successfully');
    expect(r.stdout).toContain("  orra projects use 'my shop'         make it the current project");
    expect(Object.keys(f.config().projects)).toContain('my shop');
    expect((await f.expectOk(['projects', 'use', 'my shop'])).stdout).toBe('Now using project: my shop\n');
  });
});
