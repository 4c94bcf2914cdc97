import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** SQLite's companion files, which hold the same data as the database until a checkpoint. */
const COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * Makes a SQLite file private to the engine's user before SQLite opens it: the database holds webhook
 * signing secrets and API key hashes. A missing directory is created 0700 (an existing one is left as the
 * operator set it up); a missing database file is created empty with 0600, so SQLite, which gives the
 * `-wal`, `-shm` and `-journal` files the mode of the database, creates those 0600 too. Files of ours that
 * an older engine created group- or world-readable are tightened to 0600.
 */
export function preparePrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const uid = process.getuid?.();
  for (const suffix of COMPANIONS) {
    const file = path + suffix;
    let stat;
    try {
      stat = statSync(file);
    } catch {
      continue; // not there (yet)
    }
    // Another user's file is not ours to change (a read-only copy, an operator's backup).
    if ((stat.mode & 0o077) !== 0 && (uid === undefined || stat.uid === uid)) chmodSync(file, 0o600);
  }
}
