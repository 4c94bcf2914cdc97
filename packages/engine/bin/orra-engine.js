#!/usr/bin/env node
// The `orra-engine` executable. It is this committed file, not dist/main.js, because npm links a
// workspace's bin only if the file exists when `npm ci` runs, and dist/ is built after that.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('orra-engine: the engine is not built yet: run `npm run build` first\n');
  process.exit(1);
}
await import(main.href);
