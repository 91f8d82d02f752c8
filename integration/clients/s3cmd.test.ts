// s3cmd (SigV4 without spaces after commas, ListObjects v1, 15 MiB multipart
// parts sent sequentially, ETags unquoted in CompleteMultipartUpload)
// against a real cluster over HTTP and HTTPS: put, get, ls, del.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { s3cmd } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

for (const scheme of ['http', 'https'] as const) {
  describe(`s3cmd over ${scheme}`, () => {
    let tc: TestCluster;
    const dir = mkdtempSync(join(tmpdir(), 'ps-s3cmd-'));
    const ok = async (args: string[]): Promise<string> => {
      const r = await s3cmd(tc, args);
      assert.equal(r.code, 0, `s3cmd ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };
    before(async () => {
      tc = await startTestCluster({ t: 1, ...(scheme === 'https' ? { tls: true as const } : {}) });
      await ok(['mb', 's3://s3c']);
    });
    after(() => tc?.dispose());

    it('put, ls, get and del of a small file and a 20 MiB (multipart) one', async () => {
      const files = { 'small.txt': Buffer.from('hello s3cmd\n'), 'big.bin': randomBytes(20 * 1024 * 1024) };
      for (const [name, data] of Object.entries(files)) {
        writeFileSync(join(dir, name), data);
        await ok(['put', join(dir, name), `s3://s3c/d/${name}`]);
      }
      const ls = await ok(['ls', 's3://s3c/d/']);
      for (const [name, data] of Object.entries(files)) assert.match(ls, new RegExp(`\\s${data.length}\\s+s3://s3c/d/${name.replace('.', '\\.')}`));
      assert.match(await ok(['ls', 's3://s3c/']), /DIR\s+s3:\/\/s3c\/d\//);
      for (const [name, data] of Object.entries(files)) {
        await ok(['get', '--force', `s3://s3c/d/${name}`, join(dir, `${name}.back`)]);
        assert.ok(readFileSync(join(dir, `${name}.back`)).equals(data), `${name} came back whole`);
      }
      for (const name of Object.keys(files)) await ok(['del', `s3://s3c/d/${name}`]);
      assert.equal((await ok(['ls', 's3://s3c/d/'])).trim(), '');
    });
  });
}
