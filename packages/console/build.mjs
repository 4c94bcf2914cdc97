// Builds the console into dist/: hashed, minified, pre-compressed (gzip and brotli) files under assets/
// and an index.html that names them; checks the size budget from the output and fails the build when a
// budget is exceeded. Type-checks first (esbuild only strips types).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const assets = join(dist, 'assets');

/** Budgets in gzip bytes (issue 13): initial JS, CSS, and everything under /console. */
export const BUDGET = { initialJs: 30 * 1024, css: 10 * 1024, total: 120 * 1024 };

try {
  execFileSync(process.execPath, [join(here, '../../node_modules/typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
} catch {
  console.error('console: type errors (above)');
  process.exit(1);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(here, 'src/main.tsx')],
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  target: ['es2022'],
  outdir: assets,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
// Ends esbuild's service process now rather than leaving it to notice this script's exit (it runs in
// the process group of `npm start`; see isGroupAlive in npm-start.int.test.ts).
await esbuild.stop();

const outputs = result.metafile.outputs;
const entry = Object.entries(outputs).find(([, o]) => o.entryPoint?.endsWith('main.tsx'));
if (!entry) throw new Error('no entry output');
const [jsPath, jsOut] = entry;
const cssPath = jsOut.cssBundle;
if (!cssPath) throw new Error('no CSS bundle');
// What the first page load fetches: the entry and the chunks it imports statically.
const initial = new Set([jsPath]);
for (const imp of jsOut.imports) if (imp.kind === 'import-statement') initial.add(imp.path);

const html = readFileSync(join(here, 'src/index.html'), 'utf8').replace('__JS__', basename(jsPath)).replace('__CSS__', basename(cssPath));
writeFileSync(join(dist, 'index.html'), html);

const sizes = {};
for (const name of readdirSync(assets)) {
  const file = join(assets, name);
  const body = readFileSync(file);
  const gz = gzipSync(body, { level: 9 });
  writeFileSync(`${file}.gz`, gz);
  writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  sizes[name] = { raw: statSync(file).size, gzip: gz.length };
}
const gzipOf = (paths) => [...paths].reduce((sum, p) => sum + sizes[basename(p)].gzip, 0);
const report = {
  initialJsGzip: gzipOf(initial),
  cssGzip: sizes[basename(cssPath)].gzip,
  totalGzip: Object.values(sizes).reduce((s, x) => s + x.gzip, 0) + gzipSync(html).length,
  files: sizes,
};
writeFileSync(join(dist, 'size-report.json'), JSON.stringify(report, null, 2));
const over = [
  report.initialJsGzip > BUDGET.initialJs && `initial JavaScript ${report.initialJsGzip} B gzip > ${BUDGET.initialJs}`,
  report.cssGzip > BUDGET.css && `CSS ${report.cssGzip} B gzip > ${BUDGET.css}`,
  report.totalGzip > BUDGET.total && `everything ${report.totalGzip} B gzip > ${BUDGET.total}`,
].filter(Boolean);
console.log(`console: initial JS ${report.initialJsGzip} B, CSS ${report.cssGzip} B, all ${report.totalGzip} B (gzip)`);
if (over.length > 0) {
  console.error(`console size budget exceeded: ${over.join('; ')}`);
  process.exit(1);
}
