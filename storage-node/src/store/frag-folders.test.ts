// The folders of frags/: all 256 exist (owner-only) once a store has opened,
// so that each was made durable at open rather than by the first fragment
// renamed into it (a folder made then had its entry in frags/ never
// fsync'd), and installing a fragment makes no folder. A folder removed by
// hand while the node runs is made again by the next fragment into it.

import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DiskStore } from './disk-store.js';

describe('fragment folders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-frag-folders-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a new store has all 256 folders, owner-only, before any fragment', () => {
    const store = DiskStore.open(join(dir, 'fresh'), 4);
    try {
      const folders = readdirSync(join(dir, 'fresh', 'frags')).sort();
      assert.equal(folders.length, 256);
      assert.equal(folders[0], '00');
      assert.equal(folders[255], 'ff');
      for (const f of folders) assert.equal(statSync(join(dir, 'fresh', 'frags', f)).mode & 0o777, 0o700, f);
    } finally {
      store.close();
    }
  });

  it('a fragment goes into its folder even when that folder was removed while the store ran', async () => {
    const data = join(dir, 'removed');
    const store = DiskStore.open(data, 4);
    try {
      for (const f of readdirSync(join(data, 'frags'))) rmSync(join(data, 'frags', f), { recursive: true });
      const staging = store.newStagingPath();
      writeFileSync(staging, 'fragment bytes');
      const rel = await store.installFragment(staging);
      assert.match(rel, /^frags\/[0-9a-f]{2}\/[0-9a-f]{32}$/);
      assert.equal(readFileSync(join(data, rel), 'utf8'), 'fragment bytes');
      assert.equal(existsSync(staging), false);
      assert.equal(statSync(join(data, rel, '..')).mode & 0o777, 0o700);
    } finally {
      store.close();
    }
  });
});
