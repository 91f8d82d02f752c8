// The aws CLI against a real cluster, over HTTP and over HTTPS (where
// botocore switches every upload to unsigned aws-chunked with a CRC32
// trailer and no Content-Length): cp up and down below and above the
// multipart threshold, sync both ways, ls --recursive, rm --recursive,
// presign then curl, and s3api multipart calls. Bytes compared end to end.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aws, caFile, run } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const MiB = 1024 * 1024;

for (const scheme of ['http', 'https'] as const) {
  describe(`aws CLI over ${scheme}`, () => {
    let tc: TestCluster;
    const dir = mkdtempSync(join(tmpdir(), 'ps-awscli-'));
    const ok = async (args: string[]): Promise<string> => {
      const r = await aws(tc, args);
      assert.equal(r.code, 0, `aws ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };
    before(async () => {
      tc = await startTestCluster({ t: 1, ...(scheme === 'https' ? { tls: true as const } : {}) });
      await ok(['s3', 'mb', 's3://cli']);
    });
    after(() => tc?.dispose());

    it('cp up and down: empty, small, 5 MiB and 100 MiB (multipart) files', async () => {
      const files = {
        empty: Buffer.alloc(0), 'small.txt': Buffer.from('hello world\n'), 'five.bin': randomBytes(5 * MiB), 'hundred.bin': randomBytes(100 * MiB),
      };
      for (const [name, data] of Object.entries(files)) {
        writeFileSync(join(dir, name), data);
        await ok(['s3', 'cp', join(dir, name), `s3://cli/dir/${name}`]);
      }
      const listing = await ok(['s3', 'ls', 's3://cli/dir/']);
      for (const [name, data] of Object.entries(files)) assert.match(listing, new RegExp(`\\s${data.length} ${name.replace('.', '\\.')}\\n`));
      for (const [name, data] of Object.entries(files)) {
        await ok(['s3', 'cp', `s3://cli/dir/${name}`, join(dir, `${name}.back`)]);
        assert.ok(readFileSync(join(dir, `${name}.back`)).equals(data), `${name} came back whole`);
      }
    });

    it('sync both ways, ls --recursive, rm --recursive', async () => {
      const src = join(dir, 'tree');
      mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
      const tree: Record<string, Buffer> = {
        'a.txt': randomBytes(100), 'sub/b plus+c.bin': randomBytes(70_000), 'sub/deeper/ü.txt': Buffer.from('unicode'), 'sub/%41.txt': Buffer.from('percent'),
      };
      for (const [p, d] of Object.entries(tree)) writeFileSync(join(src, p), d);
      await ok(['s3', 'sync', src, 's3://cli/tree/']);
      const rec = await ok(['s3', 'ls', '--recursive', 's3://cli/tree/']);
      for (const p of Object.keys(tree)) assert.ok(rec.includes(`tree/${p}\n`), `listed ${p}: ${rec}`);
      // A second sync uploads nothing.
      assert.equal((await ok(['s3', 'sync', src, 's3://cli/tree/'])).trim(), '');
      const back = join(dir, 'tree-back');
      await ok(['s3', 'sync', 's3://cli/tree/', back]);
      for (const [p, d] of Object.entries(tree)) assert.ok(readFileSync(join(back, p)).equals(d), `${p} synced back`);
      await ok(['s3', 'rm', '--recursive', 's3://cli/tree/']);
      const gone = await aws(tc, ['s3', 'ls', '--recursive', 's3://cli/tree/']);
      assert.equal(gone.stdout.trim(), '', 'nothing left under tree/');
      assert.equal(gone.code, 1, 'aws s3 ls exits 1 when nothing matches');
      assert.ok(readdirSync(back).length > 0);
    });

    it('presign (SigV2 by default) then curl', async () => {
      writeFileSync(join(dir, 'p.txt'), 'presigned body');
      await ok(['s3', 'cp', join(dir, 'p.txt'), 's3://cli/p.txt']);
      const url = (await ok(['s3', 'presign', 's3://cli/p.txt', '--expires-in', '300'])).trim();
      assert.match(url, /Signature=|X-Amz-Signature=/);
      const ca = caFile(tc);
      const got = await run('curl', ['-sS', '--fail', ...(ca ? ['--cacert', ca] : []), url], { PATH: process.env.PATH });
      assert.equal(got.code, 0, got.stderr);
      assert.equal(got.stdout, 'presigned body');
      const tampered = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...(ca ? ['--cacert', ca] : []), url.replace('p.txt', 'q.txt')], { PATH: process.env.PATH });
      assert.equal(tampered.stdout, '403');
    });

    it('s3api multipart calls', async () => {
      const create = JSON.parse(await ok(['s3api', 'create-multipart-upload', '--bucket', 'cli', '--key', 'api.bin'])) as { UploadId: string };
      const part = randomBytes(6 * MiB);
      writeFileSync(join(dir, 'part1'), part);
      writeFileSync(join(dir, 'part2'), Buffer.from('tail'));
      const e1 = (JSON.parse(await ok(['s3api', 'upload-part', '--bucket', 'cli', '--key', 'api.bin', '--part-number', '1', '--upload-id', create.UploadId, '--body', join(dir, 'part1')])) as { ETag: string }).ETag;
      const e2 = (JSON.parse(await ok(['s3api', 'upload-part', '--bucket', 'cli', '--key', 'api.bin', '--part-number', '2', '--upload-id', create.UploadId, '--body', join(dir, 'part2')])) as { ETag: string }).ETag;
      const parts = JSON.parse(await ok(['s3api', 'list-parts', '--bucket', 'cli', '--key', 'api.bin', '--upload-id', create.UploadId])) as { Parts: Array<{ PartNumber: number }> };
      assert.deepEqual(parts.Parts.map((p) => p.PartNumber), [1, 2]);
      const uploads = JSON.parse(await ok(['s3api', 'list-multipart-uploads', '--bucket', 'cli'])) as { Uploads: Array<{ UploadId: string }> };
      assert.ok(uploads.Uploads.some((u) => u.UploadId === create.UploadId));
      writeFileSync(join(dir, 'mpu.json'), JSON.stringify({ Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] }));
      await ok(['s3api', 'complete-multipart-upload', '--bucket', 'cli', '--key', 'api.bin', '--upload-id', create.UploadId, '--multipart-upload', `file://${join(dir, 'mpu.json')}`]);
      await ok(['s3', 'cp', 's3://cli/api.bin', join(dir, 'api.back')]);
      assert.ok(readFileSync(join(dir, 'api.back')).equals(Buffer.concat([part, Buffer.from('tail')])));
      const aborted = JSON.parse(await ok(['s3api', 'create-multipart-upload', '--bucket', 'cli', '--key', 'gone.bin'])) as { UploadId: string };
      await ok(['s3api', 'abort-multipart-upload', '--bucket', 'cli', '--key', 'gone.bin', '--upload-id', aborted.UploadId]);
      const r = await aws(tc, ['s3api', 'list-parts', '--bucket', 'cli', '--key', 'gone.bin', '--upload-id', aborted.UploadId]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /NoSuchUpload/);
    });

    it('fails cleanly on a missing object', async () => {
      const r = await aws(tc, ['s3', 'cp', 's3://cli/missing', join(dir, 'nothing')]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /404|Not Found/);
    });
  });
}
