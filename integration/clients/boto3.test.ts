// boto3 (the same botocore as the aws CLI) over HTTP and HTTPS: upload_file
// and download_file above the multipart threshold (8 MiB parts, CRC32,
// ranged downloads with If-Match), put/get with metadata, list_objects_v2
// with encoding-type=url for keys holding "+" and "%".

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { boto3 } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

for (const scheme of ['http', 'https'] as const) {
  describe(`boto3 over ${scheme}`, () => {
    let tc: TestCluster;
    const dir = mkdtempSync(join(tmpdir(), 'ps-boto3-'));
    before(async () => {
      tc = await startTestCluster({ t: 1, ...(scheme === 'https' ? { tls: true as const } : {}) });
    });
    after(() => tc?.dispose());

    it('upload_file and download_file of 20 MiB, put/get with metadata, listing with encoding-type=url', async () => {
      const data = randomBytes(20 * 1024 * 1024);
      writeFileSync(join(dir, 'up.bin'), data);
      const r = await boto3(tc, [
        "s3.create_bucket(Bucket='bto')",
        "s3.upload_file(sys.argv[1], 'bto', 'dir/up.bin')",
        "s3.download_file('bto', 'dir/up.bin', sys.argv[2])",
        "s3.put_object(Bucket='bto', Key='meta/a+b %41.txt', Body=b'meta', ContentType='text/plain', Metadata={'Foo': 'bar'})",
        "o = s3.get_object(Bucket='bto', Key='meta/a+b %41.txt')",
        "assert o['Body'].read() == b'meta', 'body'",
        "assert o['Metadata'] == {'foo': 'bar'}, o['Metadata']",
        "assert o['ContentType'] == 'text/plain'",
        "keys = [c['Key'] for c in s3.list_objects_v2(Bucket='bto', Prefix='meta/')['Contents']]",
        "assert keys == ['meta/a+b %41.txt'], keys",
        "print('ok')",
      ].join('\n'), [join(dir, 'up.bin'), join(dir, 'down.bin')]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'ok');
      assert.ok(readFileSync(join(dir, 'down.bin')).equals(data));
    });
  });
}
