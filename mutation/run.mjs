#!/usr/bin/env node
// npm run mutation [-- module…]: runs Stryker on each module of mutation/modules.mjs in turn (all of
// them without arguments), incrementally (reports/mutation/<module>/incremental.json keeps the results
// of unchanged code and tests, so a re-run after a small change re-tests only what it touched), then
// prints the score per module and exits 1 when one is under its floor (thresholds.break).
import { mkdirSync, writeFileSync } from 'node:fs';
import { Stryker } from '@stryker-mutator/core';
import { MODULES } from './modules.mjs';

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !MODULES.some((m) => m.name === name));
if (unknown.length > 0) {
  console.error(`Unknown module ${unknown.join(', ')}; modules: ${MODULES.map((m) => m.name).join(', ')}`);
  process.exit(2);
}
const modules = wanted.length === 0 ? MODULES : MODULES.filter((m) => wanted.includes(m.name));

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const rows = [];
for (const module of modules) {
  const dir = `reports/mutation/${module.name}`;
  mkdirSync(dir, { recursive: true });
  process.env.ORRA_MUTATION_TESTS = module.tests.join(',');
  const stryker = new Stryker({
    mutate: module.mutate,
    testRunner: 'vitest',
    vitest: { configFile: 'mutation/vitest.config.mjs', related: false },
    checkers: ['typescript'],
    tsconfigFile: module.tsconfig,
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    coverageAnalysis: 'perTest',
    incremental: true,
    incrementalFile: `${dir}/incremental.json`,
    reporters: ['html', 'json', 'progress'],
    htmlReporter: { fileName: `${dir}/index.html` },
    jsonReporter: { fileName: `${dir}/mutation.json` },
    // Stryker's own break threshold is the module's floor as well (mutation/modules.mjs), so a run of
    // Stryker alone fails too; run.mjs checks it again to print every module before failing.
    thresholds: { high: 90, low: 85, break: module.break > 0 ? module.break : null },
    concurrency: Number(process.env.ORRA_MUTATION_CONCURRENCY ?? 2),
    timeoutMS: 10_000,
    tempDirName: `.stryker-tmp-${module.name}`, // one per module: runs of different modules may overlap
    cleanTempDir: 'always',
    ignorePatterns: ['reports', 'test-results', '.stryker-tmp*'],
    logLevel: 'warn',
  });
  const results = await stryker.runMutationTest();
  const count = (set) => results.filter((r) => set.has(r.status)).length;
  const detected = count(DETECTED);
  const undetected = count(UNDETECTED);
  const score = detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected);
  const survivors = results
    .filter((r) => UNDETECTED.has(r.status))
    .map((r) => `${r.fileName}:${r.location.start.line} ${r.mutatorName} ${r.status}${r.replacement ? ` → ${r.replacement.replace(/\s+/g, ' ').slice(0, 60)}` : ''}`);
  rows.push({ module: module.name, score: Math.floor(score * 100) / 100, detected, undetected, floor: module.break, survivors });
}

const width = Math.max(...rows.map((r) => r.module.length));
console.log('\nMutation score per module (killed + timed out) / (killed + timed out + survived + no coverage):');
for (const r of rows) {
  const verdict = r.score < r.floor ? `UNDER its floor ${r.floor}` : `floor ${r.floor}`;
  console.log(`  ${r.module.padEnd(width)}  ${r.score.toFixed(2).padStart(6)} %  (${r.detected} detected, ${r.undetected} not)  ${verdict}`);
}
writeFileSync('reports/mutation/scores.json', `${JSON.stringify(rows, null, 2)}\n`);
console.log('Reports: reports/mutation/<module>/index.html; survivors: reports/mutation/scores.json');
if (rows.some((r) => r.score < r.floor)) process.exit(1);
