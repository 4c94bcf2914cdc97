// `npm run pack:sdk -- <folder>`: writes <folder>/orra-sdk.tgz, the SDK with its dependencies
// (@orra/protocol, which is not on npm, undici and ws) bundled inside, so a service outside this repository
// installs it with `npm install ./orra-sdk.tgz` (or a "file:orra-sdk.tgz" dependency) and no registry.
// Packs what `npm run build` built; the name carries no version, so a package.json naming it stays valid.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SDK = join(ROOT, 'packages', 'sdk');
const OUTPUT = 'orra-sdk.tgz';

function fail(message) {
  console.error(`pack:sdk: ${message}`);
  process.exit(2);
}

const [destinationArg, ...extra] = process.argv.slice(2);
if (!destinationArg || extra.length > 0) fail('usage: npm run pack:sdk -- <folder of your service>');
// npm runs scripts from the repository root; a relative folder means one relative to where the user is.
const destination = resolve(process.env.INIT_CWD ?? process.cwd(), destinationArg);
if (!existsSync(destination)) fail(`${destination} does not exist: create it first (mkdir -p ${destinationArg})`);
for (const pkg of ['sdk', 'protocol']) {
  if (!existsSync(join(ROOT, 'packages', pkg, 'dist', 'index.js'))) fail('nothing built yet: run `npm run build` first');
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const run = (command, args) => execFileSync(command, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const work = mkdtempSync(join(tmpdir(), 'orra-pack-sdk-'));
try {
  /** `npm pack` of `dir` (exactly the files it publishes), unpacked into `target`. Without scripts: a
   * dependency's `prepare` (undici's runs husky, a dev tool) is for its own repository, not for a packed copy. */
  const unpack = (dir, target) => {
    const [{ filename }] = JSON.parse(run('npm', ['pack', dir, '--json', '--ignore-scripts', '--pack-destination', work]));
    mkdirSync(target, { recursive: true });
    run('tar', ['-xzf', join(work, filename), '--strip-components=1', '-C', target]);
    rmSync(join(work, filename));
  };
  const stage = join(work, 'sdk');
  unpack(SDK, stage);
  const manifest = readJson(join(stage, 'package.json'));
  const bundled = Object.keys(manifest.dependencies ?? {});
  for (const name of bundled) {
    // The copy the SDK runs with here: a workspace link (@orra/protocol) or an installed package (ws).
    const dir = realpathSync(join(ROOT, 'node_modules', name));
    unpack(dir, join(stage, 'node_modules', name));
    const deps = Object.keys(readJson(join(dir, 'package.json')).dependencies ?? {});
    if (deps.length > 0) fail(`${name} has dependencies of its own (${deps.join(', ')}): bundle them too`);
  }
  delete manifest.devDependencies;
  manifest.bundleDependencies = bundled;
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const [{ filename }] = JSON.parse(run('npm', ['pack', stage, '--json', '--ignore-scripts', '--pack-destination', work]));
  copyFileSync(join(work, filename), join(destination, OUTPUT)); // not rename: /tmp may be another file system
  console.log(`${join(destination, OUTPUT)}: @orra/sdk ${manifest.version} with ${bundled.join(' and ')} inside`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
