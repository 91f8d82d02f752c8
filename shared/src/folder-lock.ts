// One process per data folder. Two storage nodes (or two launchers) on one
// store would sweep each other's staging files and commit to the same SQLite
// files behind each other's backs (operations review, §3), so each takes an
// exclusive lock at start and keeps it for its life.
//
// The lock is SQLite's own (a POSIX byte-range lock on `.lock` in the folder,
// held by an open EXCLUSIVE transaction): the kernel drops it when the process
// ends however it ends, so a crash never leaves a stale lock behind, and SQLite
// also refuses a second holder inside the same process. The holder's pid is
// written beside it only to make the refusal say who holds it.

import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';

export interface FolderLock {
  /** Releases the lock (also released when the process ends). */
  release(): void;
}

const LOCK_FILE = '.lock';
/**
 * The open lock databases. A Database that nothing references is closed by the
 * garbage collector, and its lock with it (a node that dropped the handle lost
 * its lock a few seconds after start): the locks live here until released.
 */
const held = new Set<Database.Database>();
const PID_FILE = '.lock.pid';
/** The files the lock keeps in its folder (a wipe of the folder must leave them). */
export const LOCK_FILES: readonly string[] = [LOCK_FILE, PID_FILE, `${LOCK_FILE}-journal`];

/** Locks `dir` (which must exist) for `what` (e.g. "storage node"); a ConfigError names the holder if another has it. */
export function lockFolder(dir: string, what: string): FolderLock {
  let db: Database.Database;
  try {
    db = new Database(join(dir, LOCK_FILE), { timeout: 0 });
  } catch (e) {
    throw new ConfigError(`cannot lock ${dir}: ${(e as Error).message}`);
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw new ConfigError(`cannot lock ${dir}: ${(e as Error).message}`);
    throw new ConfigError(`${dir} is in use by another ${what}${holder(dir)}; stop it first (one process per data folder)`);
  }
  writeFileSync(join(dir, PID_FILE), `${process.pid}\n`, { mode: 0o600 });
  held.add(db);
  return {
    release() {
      if (!held.delete(db)) return;
      db.close(); // ends the transaction, and with it the lock
    },
  };
}

function holder(dir: string): string {
  try {
    const pid = readFileSync(join(dir, PID_FILE), 'utf8').trim();
    return /^\d+$/.test(pid) ? ` (pid ${pid})` : '';
  } catch {
    return '';
  }
}
