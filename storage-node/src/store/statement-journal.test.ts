// A node's SQLite keeps statement journals in memory (disk-store.ts): by
// default a journal that once outgrew 64 KiB moved to a temporary file for
// the rest of the connection's life, and every page a statement journaled
// after that cost two write calls (a node at t = 2: 42 write calls a 4 KiB
// PUT against 21).

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DiskStore } from './disk-store.js';

/** Files this process holds open that have no name: SQLite's temporary files. */
function unnamedFiles(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return / \(deleted\)$/.test(target) ? [target] : [];
    } catch {
      return [];
    }
  });
}

describe('statement journals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-stmt-journal-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stay in memory, however large one grows', async () => {
    const store = DiskStore.open(join(dir, 'n0'), 4);
    const before = unnamedFiles();
    const insert = store.db.prepare('INSERT INTO regs (reg, ns, key, lc) VALUES (?, ?, ?, ?)');
    store.db.transaction(() => {
      for (let i = 0; i < 400; i++) insert.run(randomBytes(32), 'b', Buffer.from(`k${i}`), 'x'.repeat(500));
    })();
    // One upsert statement over every row, inside a group commit's
    // transaction: its journal holds each of the ~60 pages it changes.
    await store.committer.run(() => {
      store.db.prepare(`INSERT INTO regs (reg, ns, key, lc) SELECT reg, ns, key, 'y' || lc FROM regs WHERE true
        ON CONFLICT (reg) DO UPDATE SET lc = excluded.lc`).run();
    });
    assert.deepEqual(unnamedFiles(), before);
    assert.equal(store.db.pragma('temp_store', { simple: true }), 2);
    store.close();
  });
});
