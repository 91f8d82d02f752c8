// The digest pool gives node:crypto's answers, never touches the caller's
// buffers, and forgets cancelled jobs.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { checksumBase64 } from './checksums.js';
import { DigestPool, InlineDigester } from './digest-worker.js';

const hex = (alg: string, d: Uint8Array) => createHash(alg).update(d).digest('hex');

describe('digest worker pool', () => {
  const pool = new DigestPool({ size: 2 });
  after(() => pool.close());

  it('MD5/SHA-256/SHA-1 (and the CRCs) of 6 MiB of random data in uneven pieces equal node:crypto', async () => {
    const data = randomBytes(6 * 1024 * 1024 + 123);
    const job = pool.start(['md5', 'sha256', 'sha1', 'crc32', 'crc32c', 'crc64nvme']);
    const sizes = [1, 100, 65536, 300_000, 7, 1 << 20];
    for (let at = 0, i = 0; at < data.length; i++) {
      const n = sizes[i % sizes.length] ?? 1;
      await job.update(data.subarray(at, at + n));
      at += n;
    }
    const d = await job.digest();
    assert.equal(d.md5.toString('hex'), hex('md5', data));
    assert.equal(d.sha256.toString('hex'), hex('sha256', data));
    assert.equal(d.sha1.toString('hex'), hex('sha1', data));
    assert.equal(d.crc32.toString('base64'), checksumBase64('CRC32', data));
    assert.equal(d.crc32c.toString('base64'), checksumBase64('CRC32C', data));
    assert.equal(d.crc64nvme.toString('base64'), checksumBase64('CRC64NVME', data));
    assert.equal(pool.activeJobs, 0);
  });

  it('interleaved jobs on two workers stay separate', async () => {
    const bodies = [randomBytes(700_000), randomBytes(10), randomBytes(2_000_000)];
    const jobs = bodies.map(() => pool.start(['md5']));
    for (let at = 0; at < 2_000_000; at += 50_000) {
      await Promise.all(jobs.map((j, i) => j.update((bodies[i] ?? Buffer.alloc(0)).subarray(at, at + 50_000))));
    }
    const out = await Promise.all(jobs.map((j) => j.digest()));
    out.forEach((d, i) => assert.equal(d.md5.toString('hex'), hex('md5', bodies[i] ?? Buffer.alloc(0))));
  });

  it('copies: the caller keeps its buffer intact and may reuse it at once', async () => {
    const big = randomBytes(1 << 20);
    const small = randomBytes(1000);
    const expected = hex('md5', Buffer.concat([big, small]));
    const job = pool.start(['md5']);
    await job.update(big);
    await job.update(small);
    assert.equal(big.byteLength, 1 << 20); // not detached by a transfer
    big.fill(0); // the caller reuses its buffers
    small.fill(0);
    const d = await job.digest();
    assert.equal(d.md5.toString('hex'), expected);
  });

  it('cancel() forgets the job at once; digest() after cancel rejects', async () => {
    const job = pool.start(['md5', 'sha256']);
    await job.update(randomBytes(3 << 20));
    assert.ok(pool.activeJobs >= 1);
    job.cancel();
    job.cancel(); // idempotent
    assert.equal(pool.activeJobs, 0);
    await assert.rejects(job.digest(), /cancelled/);
    await job.update(Buffer.from('ignored')); // no-op, does not throw or hang
  });

  it('an empty job digests the empty string', async () => {
    const d = await pool.start(['md5']).digest();
    assert.equal(d.md5.toString('hex'), 'd41d8cd98f00b204e9800998ecf8427e');
  });

  it('close() fails pending jobs instead of hanging', async () => {
    const p = new DigestPool();
    const job = p.start(['sha256']);
    await job.update(randomBytes(1000));
    // Either the worker answers first or the close fails the job: never a hang.
    const settled = job.digest().then((d) => assert.equal(d.sha256.length, 32), (e: Error) => assert.match(e.message, /closed|exited/));
    await p.close();
    await settled;
    assert.throws(() => p.start(['md5']), /closed/);
  });
});

describe('inline digester', () => {
  it('gives the same answers', async () => {
    const data = randomBytes(100_000);
    const job = new InlineDigester().start(['md5', 'sha256']);
    await job.update(data.subarray(0, 10));
    await job.update(data.subarray(10));
    const d = await job.digest();
    assert.equal(d.md5.toString('hex'), hex('md5', data));
    assert.equal(d.sha256.toString('hex'), hex('sha256', data));
  });
});
