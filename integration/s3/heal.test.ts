// Healing on a real cluster (DESIGN §7): `powerstore heal` and the gateway's
// background scrub restore what nodes lost.
//
// Why two wiped disks: at t=1 the erasure code alone survives any two lost
// fragments (k=2 of 4), so one wiped node plus one stopped node still reads
// everything, healed or not; that proves nothing. With two nodes' disks lost
// and a third node down, only one node's copies are left: nothing reads
// (asserted first, so the test can fail). After `heal`, the same third node
// down is fine: every object reads back byte for byte. Then a byte flipped
// on one node's disk is found (corrupt, evidence), healed in place, and a
// second run finds everything healthy.

import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run, type CliResult } from '../harness/cli.js';
import { metric, startTestCluster, type TestCluster } from '../harness/cluster.js';

const POWERSTORE = fileURLToPath(new URL('../../gateway/src/cli/powerstore.js', import.meta.url));
const MiB = 1024 * 1024;

interface NodeLine { checked: number; missing: number; corrupt: number; unreadable: number; unreachable: number; healed: number; failed: number }

async function heal(tc: TestCluster, ...args: string[]): Promise<CliResult & { nodes: NodeLine[] }> {
  const r = await run(process.execPath, [POWERSTORE, 'heal', '--config', tc.cluster.gatewayConfigPath, ...args],
    { PATH: process.env.PATH, POWERSTORE_LOG_LEVEL: 'warn' }, 300_000);
  const nodes: NodeLine[] = [];
  for (const m of r.stdout.matchAll(/^node (\d+): checked (\d+), missing (\d+), corrupt (\d+), unreadable (\d+), unreachable (\d+), healed (\d+), failed (\d+)$/gm)) {
    const [checked, missing, corrupt, unreadable, unreachable, healed, failed] = m.slice(2).map(Number) as number[];
    nodes[Number(m[1])] = { checked: checked!, missing: missing!, corrupt: corrupt!, unreadable: unreadable!, unreachable: unreachable!, healed: healed!, failed: failed! };
  }
  return { ...r, nodes };
}

/** Node i loses its disk: killed, its store folder deleted, restarted empty. */
async function loseDisk(tc: TestCluster, i: number): Promise<void> {
  await tc.cluster.killNode(i);
  rmSync(join(tc.dir, `node-${i}`, 'store'), { recursive: true, force: true });
  await tc.cluster.startNode(i);
}

function fragmentFiles(tc: TestCluster, i: number): string[] {
  const root = join(tc.dir, `node-${i}`, 'store', 'frags');
  return readdirSync(root).flatMap((sub) => readdirSync(join(root, sub)).map((f) => join(root, sub, f)));
}

async function getBytes(tc: TestCluster, bucket: string, key: string, client = tc.s3): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

describe('powerstore heal (t=1)', () => {
  let tc: TestCluster;
  const objects = new Map<string, { bucket: string; body: Buffer }>();
  /** History entries heal checks at each node, from the first (healthy) run. */
  let entries = 0;

  before(async () => {
    tc = await startTestCluster({ t: 1, blockSize: 64 * 1024 });
    for (const b of ['heal', 'heal2']) await tc.s3.send(new CreateBucketCommand({ Bucket: b }));
  });
  after(() => tc?.dispose());

  it('on a healthy cluster: checks every entry, finds nothing, exits 0', async () => {
    const put = async (bucket: string, key: string, size: number): Promise<void> => {
      const body = randomBytes(size);
      await tc.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      objects.set(key, { bucket, body });
    };
    await put('heal', 'empty', 0);
    await put('heal', 'small', 10_000); // inline fragments
    await put('heal', 'medium', 200_000); // two stripes, fragment files
    await put('heal', 'large', 3 * MiB); // 24 stripes
    await put('heal2', 'other', 100_000);
    await put('heal', 'gone', 5000);
    await tc.s3.send(new DeleteObjectCommand({ Bucket: 'heal', Key: 'gone' }));
    objects.delete('gone');
    const mp = randomBytes(11 * MiB);
    await new Upload({ client: tc.s3, params: { Bucket: 'heal', Key: 'mp', Body: mp }, partSize: 5 * MiB, queueSize: 1 }).done();
    objects.set('mp', { bucket: 'heal', body: mp });

    const r = await heal(tc);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^result: healthy$/m);
    assert.equal(r.nodes.length, 4);
    entries = r.nodes[0]!.checked;
    // 2 bucket records; empty, small, medium, large, the delete marker; mp's
    // 3 parts and its own entry; heal2's object; mp's (retired) upload record.
    assert.equal(entries, 2 + 5 + 4 + 1 + 1);
    // Progress on stderr: the estimate before, the totals after.
    assert.match(r.stderr, /^heal: about \d+ history entries to check$/m);
    assert.match(r.stderr, new RegExp(`^heal: ${entries} history entries checked in [\\d.]+ s`, 'm'));
    for (const n of r.nodes) assert.deepEqual(n, { checked: entries, missing: 0, corrupt: 0, unreadable: 0, unreachable: 0, healed: 0, failed: 0 });
  });

  it('two nodes lose their disks: with a third node down nothing reads (before healing)', async () => {
    await loseDisk(tc, 0);
    await loseDisk(tc, 1);
    await tc.cluster.killNode(2);
    const once = tc.client({ maxAttempts: 1 });
    try {
      for (const [key, o] of objects) await assert.rejects(getBytes(tc, o.bucket, key, once), `${key} must not read with one node's copies left`);
    } finally {
      once.destroy();
      await tc.cluster.startNode(2);
    }
  });

  it('--dry-run reports every lost copy and changes nothing', async () => {
    const r = await heal(tc, '--dry-run');
    assert.equal(r.code, 1, 'copies need healing');
    for (const n of [0, 1]) {
      assert.equal(r.nodes[n]!.missing, entries, `node ${n}: every copy missing`);
      assert.equal(r.nodes[n]!.healed, 0);
    }
    assert.match(r.stdout, new RegExp(`^result: ${2 * entries} copies need healing \\(dry run: nothing changed\\)$`, 'm'));
    assert.equal(fragmentFiles(tc, 0).length, 0, 'node 0 still holds no fragment file');
  });

  it('heal restores every copy of both nodes', async () => {
    const r = await heal(tc);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const n of [0, 1]) {
      assert.deepEqual(r.nodes[n], { checked: entries, missing: entries, corrupt: 0, unreadable: 0, unreachable: 0, healed: entries, failed: 0 },
        `node ${n}: ${r.stdout}`);
    }
    for (const n of [2, 3]) assert.equal(r.nodes[n]!.missing + r.nodes[n]!.corrupt + r.nodes[n]!.healed, 0);
    assert.match(r.stdout, new RegExp(`^result: healed \\(${2 * entries} copies\\)$`, 'm'));
    assert.equal(fragmentFiles(tc, 0).length, fragmentFiles(tc, 3).length, 'node 0 holds as many fragment files as node 3');
  });

  it('with the same third node down, every object reads back byte for byte', async () => {
    await tc.cluster.killNode(2);
    try {
      for (const [key, o] of objects) assert.ok((await getBytes(tc, o.bucket, key)).equals(o.body), `${key} reads back whole`);
      await assert.rejects(tc.s3.send(new HeadObjectCommand({ Bucket: 'heal', Key: 'gone' })), (e: { name?: string }) => e.name === 'NotFound');
      const listed = await tc.s3.send(new ListObjectsV2Command({ Bucket: 'heal' }));
      assert.deepEqual((listed.Contents ?? []).map((c) => c.Key), ['empty', 'large', 'medium', 'mp', 'small']);
    } finally {
      await tc.cluster.startNode(2);
    }
  });

  it('a byte flipped on node 2\'s disk: reported corrupt (evidence), healed in place, then healthy', async () => {
    const files = fragmentFiles(tc, 2).sort((a, b) => statSync(b).size - statSync(a).size);
    const file = files[0]!;
    const original = readFileSync(file);
    const bad = Buffer.from(original);
    bad[Math.floor(bad.length / 2)]! ^= 0x40;
    writeFileSync(file, bad);

    const r = await heal(tc);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.nodes[2]!.corrupt, 1, r.stdout);
    assert.equal(r.nodes[2]!.healed, 1);
    for (const n of [0, 1, 3]) assert.equal(r.nodes[n]!.corrupt + r.nodes[n]!.missing + r.nodes[n]!.healed, 0);
    assert.match(r.stdout, /^evidence: node 2: corrupt-block ×1$/m);
    assert.ok(readFileSync(file).equals(original), 'the fragment file holds its original bytes again');

    const again = await heal(tc);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^result: healthy$/m);
    for (const n of again.nodes) assert.equal(n.checked, entries);
    for (const [key, o] of objects) assert.ok((await getBytes(tc, o.bucket, key)).equals(o.body), `${key} still reads`);
  });

  it('bad flags are one line of error, exit code 2', async () => {
    const r = await run(process.execPath, [POWERSTORE, 'heal', '--config', tc.cluster.gatewayConfigPath, '--concurrency', '0'], { PATH: process.env.PATH });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const noConfig = await run(process.execPath, [POWERSTORE, 'heal'], { PATH: process.env.PATH });
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.stderr, /heal needs --config/);
  });
});

describe('background scrub (t=1, --scrub-interval-s 1)', () => {
  let tc: TestCluster;
  const objects = new Map<string, Buffer>();

  before(async () => {
    tc = await startTestCluster({ t: 1, blockSize: 64 * 1024, env: { POWERSTORE_SCRUB_INTERVAL_S: '1' } });
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'scrub' }));
    for (const [key, size] of [['small', 1000], ['medium', 300_000], ['large', 2 * MiB]] as const) {
      const body = randomBytes(size);
      await tc.s3.send(new PutObjectCommand({ Bucket: 'scrub', Key: key, Body: body }));
      objects.set(key, body);
    }
  });
  after(() => tc?.dispose());

  it('heals a node that lost its disk by itself', async () => {
    await loseDisk(tc, 0);
    const deadline = Date.now() + 60_000;
    const entries = 1 + objects.size; // the bucket record and the objects
    for (;;) {
      const healed = await metric(tc.cluster.endpoint, 'powerstore_scrub_heals_total', { node: '0', outcome: 'healed' });
      const files = fragmentFiles(tc, 0).length;
      if (healed >= entries && files > 0 && files === fragmentFiles(tc, 3).length) break;
      assert.ok(Date.now() < deadline, `not healed within 60 s (healed ${healed}, node 0 holds ${files} fragment files)`);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(await metric(tc.cluster.endpoint, 'powerstore_scrub_copies_total', { node: '0', state: 'missing' }) >= entries);
    assert.ok(await metric(tc.cluster.endpoint, 'powerstore_scrub_passes_total') >= 1);
    // Proof the copies are real: node 1 loses its disk too and node 2 goes
    // down; only nodes 0 and 3 are left to hold the data.
    await loseDisk(tc, 1);
    await tc.cluster.killNode(2);
    try {
      for (const [key, body] of objects) assert.ok((await getBytes(tc, 'scrub', key)).equals(body), `${key} reads back from node 0's healed copies`);
    } finally {
      await tc.cluster.startNode(2);
    }
  });
});
