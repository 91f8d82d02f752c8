// Object data at rest is readable by the node's own account only (security
// review F8): folders 0700, files 0600, whatever the umask. A store made
// before this (0755 folders, 0644 files) is tightened at start: its folders
// and database files are chmod'ed; old fragment files keep their mode but
// sit in 0700 folders, which no other account can enter.

import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) owner-only, and tightens it if it existed. */
export function ownerOnlyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  chmodSync(dir, DIR_MODE);
}

/**
 * Makes the SQLite database file exist, owner-only, before SQLite opens it:
 * SQLite creates the -wal and -shm files with the database file's mode.
 * Those of an older store are tightened too.
 */
export function ownerOnlyDatabase(path: string): void {
  closeSync(openSync(path, 'a', FILE_MODE));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, FILE_MODE);
}
