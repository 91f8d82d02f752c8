// Memory per request is bounded whatever the object's size: the gateway's
// peak RSS (the kernel's VmHWM) stays under 256 MB while a 2 GiB object is
// put and read back, both streamed, with SHA-256 compared end to end.

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { GATEWAY_MALLOC_ENV, GATEWAY_V8_FLAGS } from '@powerstore/shared/runtime.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { bodyDigest } from '../harness/body-digest.js';

const SIZE = 2 * 1024 ** 3;
const BOUND_MB = 256;

/** Peak RSS in MB (10^6 bytes, the stricter reading of the bound). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return (Number(m![1]) * 1024) / 1e6;
}

/** SIZE bytes of a repeating counter pattern, hashed as they are produced. */
function source(): { stream: Readable; digest: () => string } {
  const h = createHash('sha256');
  const block = Buffer.alloc(1 << 20);
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= SIZE) return void this.push(null);
      block.writeUInt32BE(sent / block.length, 0);
      const chunk = Buffer.from(block);
      h.update(chunk);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, digest: () => h.digest('hex') };
}

describe('gateway memory bound', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ t: 1 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'memory' }));
  });
  after(() => tc?.dispose());

  it(`stays under ${BOUND_MB} MB of RSS while 2 GiB is put and got back`, async (t) => {
    const pid = tc.cluster.gateway!.proc.pid!;
    // The bound holds with the V8 flags a gateway is started with (runtime.ts).
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    for (const f of GATEWAY_V8_FLAGS) assert.ok(argv.includes(f), `the gateway runs with ${f}: ${argv.join(' ')}`);
    // And with the malloc settings the launcher gives gateways (runtime.ts), which nodes do not get.
    const environ = (p: number): string[] => readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
    for (const [k, v] of Object.entries(GATEWAY_MALLOC_ENV)) {
      assert.ok(environ(pid).includes(`${k}=${v}`), `the gateway runs with ${k}=${v}`);
      assert.ok(!environ(tc.cluster.nodes[0]!.child!.proc.pid!).some((e) => e.startsWith(`${k}=`)), `a node runs without ${k}`);
    }
    const src = source();
    await tc.s3.send(new PutObjectCommand({ Bucket: 'memory', Key: 'two-gib', Body: src.stream, ContentLength: SIZE }));
    const got = await tc.s3.send(new GetObjectCommand({ Bucket: 'memory', Key: 'two-gib' }));
    const back = await bodyDigest(got.Body as Readable);
    assert.equal(back.bytes, SIZE);
    assert.equal(back.sha256, src.digest(), 'the same 2 GiB came back');
    const peak = peakRssMb(pid);
    t.diagnostic(`gateway peak RSS ${peak.toFixed(1)} MB`);
    assert.ok(peak < BOUND_MB, `gateway peak RSS ${peak.toFixed(1)} MB`);
  });
});
