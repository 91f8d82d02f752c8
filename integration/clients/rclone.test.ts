// rclone (ListObjects v1, UNSIGNED-PAYLOAD PUTs with Content-MD5, CreateBucket
// before every upload, a HEAD after every PUT) against a real cluster over
// HTTP and HTTPS: copy, sync, check, lsjson, moveto (server-side copy),
// delete; modification times kept in x-amz-meta-mtime.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rclone } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

for (const scheme of ['http', 'https'] as const) {
  describe(`rclone over ${scheme}`, () => {
    let tc: TestCluster;
    const dir = mkdtempSync(join(tmpdir(), 'ps-rclone-'));
    const ok = async (args: string[]): Promise<string> => {
      const r = await rclone(tc, args);
      assert.equal(r.code, 0, `rclone ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };
    const src = join(dir, 'src');
    const mtime = new Date('2024-02-03T04:05:06Z');
    before(async () => {
      tc = await startTestCluster({ t: 1, ...(scheme === 'https' ? { tls: true as const } : {}) });
      mkdirSync(join(src, 'sub'), { recursive: true });
      const files: Record<string, Buffer> = { 'a.txt': Buffer.from('alpha'), 'sub/b.bin': randomBytes(300_000), 'sub/c d+e.txt': Buffer.from('spaces and plus'), 'big.bin': randomBytes(21 * 1024 * 1024) };
      for (const [p, d] of Object.entries(files)) {
        writeFileSync(join(src, p), d);
        utimesSync(join(src, p), mtime, mtime);
      }
      await ok(['mkdir', 'ps:rcl']);
    });
    after(() => tc?.dispose());

    it('copy, then check reports no differences and lsjson keeps the modification times', async () => {
      await ok(['copy', src, 'ps:rcl/copy']);
      const check = await rclone(tc, ['check', src, 'ps:rcl/copy']);
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stderr, /0 differences found/);
      const listing = JSON.parse(await ok(['lsjson', '-R', 'ps:rcl/copy'])) as Array<{ Path: string; Size: number; ModTime: string; IsDir: boolean }>;
      const files = listing.filter((e) => !e.IsDir);
      assert.deepEqual(files.map((e) => e.Path).sort(), ['a.txt', 'big.bin', 'sub/b.bin', 'sub/c d+e.txt']);
      for (const f of files) assert.equal(new Date(f.ModTime).getTime(), mtime.getTime(), `${f.Path} kept its mtime`);
    });

    it('sync mirrors additions and deletions; a second sync transfers nothing', async () => {
      await ok(['sync', src, 'ps:rcl/mirror']);
      writeFileSync(join(src, 'new.txt'), 'new');
      await ok(['sync', src, 'ps:rcl/mirror']);
      const names = (await ok(['lsf', '-R', 'ps:rcl/mirror'])).split('\n').filter(Boolean).sort();
      assert.ok(names.includes('new.txt'));
      const second = await rclone(tc, ['sync', '-v', src, 'ps:rcl/mirror']);
      assert.equal(second.code, 0, second.stderr);
      assert.doesNotMatch(second.stderr, /Copied/, 'nothing copied the second time');
      const back = join(dir, 'back');
      await ok(['copy', 'ps:rcl/mirror', back]);
      assert.equal(readFileSync(join(back, 'sub', 'c d+e.txt'), 'utf8'), 'spaces and plus');
      assert.ok(readFileSync(join(back, 'big.bin')).equals(readFileSync(join(src, 'big.bin'))));
    });

    it('moveto is a server-side copy, and delete removes everything', async () => {
      await ok(['copyto', join(src, 'a.txt'), 'ps:rcl/move/from.txt']);
      await ok(['moveto', 'ps:rcl/move/from.txt', 'ps:rcl/move/to.txt']);
      const names = (await ok(['lsf', 'ps:rcl/move'])).split('\n').filter(Boolean);
      assert.deepEqual(names, ['to.txt']);
      assert.equal(await ok(['cat', 'ps:rcl/move/to.txt']), 'alpha');
      await ok(['delete', 'ps:rcl/copy']);
      assert.equal((await ok(['lsf', '-R', 'ps:rcl/copy'])).trim(), '');
    });
  });
}
