// One client must not take the gateway down for others (security review
// F3, F5; probes D3-D7). Each attack runs from 127.0.0.1 while bob, from
// 127.0.0.3, keeps doing GETs and PUTs (a small one, a streamed 1 MiB one)
// that must all succeed within LATENCY_BOUND_MS:
//  (a) alice opens 300 PUTs announcing 64 MiB, sends 256 KiB of each (two
//      stripes: enough to open the streams to the nodes), then
//      stalls: 250 (the per-user cap) really stall, each holding a stream to
//      every node (more than the old shared pool of 256 node connections
//      could spare); the rest are refused with 503 SlowDown at once. Each
//      stall is answered 400 RequestTimeout (or closed) within the idle
//      timeout plus slack, and none of them becomes visible. Bob's bound
//      holds while they stall (not while alice's 75 MiB arrive: that is
//      load, which a gateway on two shared cores serves in turn);
//  (b) two child processes open 21 000 idle sockets (more than the
//      gateway's file descriptor limit here, 20 000) while bob opens a new
//      connection for each request;
//  (c) 50 anonymous PostObject forms trickle a byte a second: each is
//      answered 400 RequestTimeout (or 503 SlowDown over the per-address
//      cap of unauthenticated bodies, or closed) within the form budget.
//  (d) a silent connection and a request head sent a byte a second are
//      closed within the head deadline plus slack.
// The gateway runs with small limits (LIMITS) so that this stays fast.

import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { signV4 } from '../harness/raw.js';

const LIMITS = {
  bodyIdleMs: 4000, bodyMinBytesPerS: 1024, bodyRateGraceMs: 4000, headersTimeoutMs: 3000,
  maxConnectionsPerAddress: 400, maxUploadsPerUser: 250, postFormMs: 3000,
};
/** Each of bob's requests must finish within this (a node RPC round times out at 10 s). */
const LATENCY_BOUND_MS = 5000;
/** Slack over a limit for the gateway to notice and answer, on a loaded machine. */
const SLACK_MS = 6000;
const ATTACKER = '127.0.0.1';
const LEGIT = '127.0.0.3';

const alice = { accessKey: 'ALICEKEY01', secretKey: 'alice-secret-key', user: 'alice' };
const bob = { accessKey: 'BOBKEY0001', secretKey: 'bob-secret-key-02', user: 'bob' };

/** How one raw attacking connection ended. */
interface Ending {
  status: number | null;
  code: string | null;
  /** ms from the end of sending to the answer or close; Infinity if still open. */
  afterMs: number;
}

class RawClient {
  readonly sock: Socket;
  private readonly chunks: Buffer[] = [];
  private sentAt = Date.now();
  private endedAt: number | null = null;
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.sock = connect({ port, host: '127.0.0.1', localAddress: ATTACKER });
    this.sock.on('error', () => undefined);
    this.sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.endedAt ??= Date.now();
    });
    this.closed = new Promise((r) => this.sock.once('close', () => {
      this.endedAt ??= Date.now();
      r();
    }));
  }

  /** Writes and notes when the last byte was handed over. */
  async send(data: Buffer | string): Promise<void> {
    if (this.sock.destroyed) return;
    await new Promise<void>((r) => this.sock.write(data, () => r()));
    this.sentAt = Date.now();
  }

  ending(): Ending {
    const text = Buffer.concat(this.chunks).toString('latin1');
    const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
    const code = /<Code>([^<]+)<\/Code>/.exec(text);
    return { status: status ? Number(status[1]) : null, code: code?.[1] ?? null, afterMs: this.endedAt === null ? Infinity : this.endedAt - this.sentAt };
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** Waits until the gateway keeps a new connection from the attacker's address open: the flood's sockets are all released. */
async function attackerAdmitted(port: number): Promise<void> {
  for (const until = Date.now() + 30_000; Date.now() < until;) {
    const probe = new RawClient(port);
    const refused = await Promise.race([probe.closed.then(() => true), delay(300).then(() => false)]);
    probe.destroy();
    if (!refused) return;
  }
  throw new Error('30 s after the flood the gateway still closes new connections from its address');
}

/** Bob's work while an attack runs: PUT small, PUT 1 MiB, GET, in a loop until `stop`; every failure and the slowest request. */
async function bobServed(s3: S3Client, stop: Promise<void>): Promise<{ ops: number; failures: string[]; slowestMs: number }> {
  let done = false;
  void stop.then(() => (done = true));
  const big = Buffer.alloc(1 << 20, 7);
  const failures: string[] = [];
  let ops = 0;
  let slowestMs = 0;
  const timed = async (what: string, f: () => Promise<unknown>): Promise<void> => {
    const t = Date.now();
    try {
      await f();
    } catch (e) {
      failures.push(`${what}: ${(e as Error).name} ${(e as Error).message}`.slice(0, 200));
    }
    const ms = Date.now() - t;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > LATENCY_BOUND_MS) failures.push(`${what}: ${ms} ms`);
    ops++;
  };
  for (let i = 0; !done; i++) {
    await timed('PUT small', () => s3.send(new PutObjectCommand({ Bucket: 'bobs', Key: `small-${i}`, Body: `bob ${i}` })));
    await timed('PUT 1 MiB', () => s3.send(new PutObjectCommand({ Bucket: 'bobs', Key: 'big', Body: big })));
    await timed('GET', async () => {
      const r = await s3.send(new GetObjectCommand({ Bucket: 'bobs', Key: 'k' }));
      assert.equal(await r.Body!.transformToString(), 'bob data');
    });
  }
  return { ops, failures, slowestMs };
}

describe('one client cannot take the gateway down for others (review F3, F5)', { timeout: 600_000 }, () => {
  let tc: TestCluster;
  let port: number;
  let asBob: S3Client;
  let asAlice: S3Client;
  before(async () => {
    tc = await startTestCluster({ t: 1, users: [alice, bob], blockSize: 64 * 1024, limits: LIMITS });
    port = Number(new URL(tc.cluster.endpoint).port);
    asBob = tc.client({
      credentials: { accessKeyId: bob.accessKey, secretAccessKey: bob.secretKey },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, localAddress: LEGIT }), requestTimeout: 30_000 }),
    });
    asAlice = tc.client({ credentials: { accessKeyId: alice.accessKey, secretAccessKey: alice.secretKey } });
    await asBob.send(new CreateBucketCommand({ Bucket: 'bobs' }));
    await asBob.send(new PutObjectCommand({ Bucket: 'bobs', Key: 'k', Body: 'bob data' }));
    await asAlice.send(new CreateBucketCommand({ Bucket: 'alices' }));
  });
  after(async () => {
    asBob?.destroy();
    asAlice?.destroy();
    await tc?.dispose();
  });

  it('(a) 300 stalled uploads of one user: others are served, the stalls end in RequestTimeout, nothing is visible', async () => {
    const host = `127.0.0.1:${port}`;
    const data = Buffer.alloc(256 * 1024, 1);
    const stalls = Array.from({ length: 300 }, () => new RawClient(port));
    const sending = stalls.map(async (c, i) => {
      const target = `/alices/stall-${i}`;
      const signed = signV4(host, { method: 'PUT', target, payloadHash: 'UNSIGNED-PAYLOAD', headers: {} }, { ...alice, region: tc.cluster.region });
      const head = [`PUT ${target} HTTP/1.1`, ...Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${64 << 20}`, '', ''].join('\r\n');
      await c.send(head);
      await c.send(data);
    });
    await Promise.all(sending);
    await delay(500);
    // Bob works while the uploads stall, until they are all answered.
    const stop = Promise.race([Promise.all(stalls.map((c) => c.closed)), delay(LIMITS.bodyIdleMs + SLACK_MS)]).then(() => undefined);
    const bobRun = await bobServed(asBob, stop);
    await stop;
    const endings = stalls.map((c) => c.ending());
    stalls.forEach((c) => c.destroy());

    assert.deepEqual(bobRun.failures, [], `bob's requests during the stalls (slowest ${bobRun.slowestMs} ms)`);
    assert.ok(bobRun.ops >= 3, `bob made ${bobRun.ops} requests`);
    const open = endings.filter((e) => e.afterMs > LIMITS.bodyIdleMs + SLACK_MS);
    assert.equal(open.length, 0, `${open.length} stalled uploads still open after ${LIMITS.bodyIdleMs + SLACK_MS} ms`);
    const codes = endings.map((e) => e.code ?? (e.status === null ? 'closed' : String(e.status)));
    const tally = Object.fromEntries([...new Set(codes)].map((c) => [c, codes.filter((x) => x === c).length]));
    for (const c of codes) assert.ok(['RequestTimeout', 'SlowDown', 'closed'].includes(c), JSON.stringify(tally));
    assert.ok((tally.RequestTimeout ?? 0) >= 200, `RequestTimeout answers: ${JSON.stringify(tally)}`);
    assert.ok((tally.SlowDown ?? 0) >= 1, `SlowDown answers: ${JSON.stringify(tally)}`);
    const listed = await asAlice.send(new ListObjectsV2Command({ Bucket: 'alices' }));
    assert.equal(listed.KeyCount ?? 0, 0, 'no stalled upload is visible');
  });

  it('(b) 21 000 idle sockets from one address: others are served', async () => {
    // The flood comes from child processes: this process's descriptor limit is the gateway's (20 000).
    const script = `
      const { connect } = require('node:net');
      let open = 0, failed = 0, pending = ${10_500};
      const socks = [];
      const next = () => {
        if (pending === 0) { process.stdout.write('opened ' + open + ' failed ' + failed + '\\n'); return; }
        pending--;
        const s = connect({ port: ${port}, host: '127.0.0.1', localAddress: '${ATTACKER}' });
        s.on('connect', () => { open++; next(); });
        s.on('error', () => { failed++; });
        s.on('close', () => { open--; });
        socks.push(s);
        if (s.connecting) s.once('error', next);
      };
      for (let i = 0; i < 64; i++) next();
      setInterval(() => undefined, 1000);`;
    // Bob opens a new connection for each request: connections opened before the flood prove nothing.
    const fresh = tc.client({
      credentials: { accessKeyId: bob.accessKey, secretAccessKey: bob.secretKey },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: false, localAddress: LEGIT }), requestTimeout: 30_000 }),
    });
    const children = [0, 1].map(() => spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
    try {
      const opened = children.map((ch) => new Promise<string>((r) => ch.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))));
      const flood = Promise.race([Promise.all(opened), delay(120_000)]);
      const bobRun = await bobServed(fresh, flood.then(() => delay(3000)));
      assert.deepEqual(bobRun.failures, [], `bob's requests during the flood (slowest ${bobRun.slowestMs} ms; flood: ${(await flood)?.join(', ')})`);
      assert.ok(bobRun.ops >= 3, `bob made ${bobRun.ops} requests`);
    } finally {
      await Promise.all(children.map(async (ch) => {
        if (ch.exitCode !== null || ch.signalCode !== null) return;
        const exited = new Promise((r) => ch.once('exit', r));
        ch.kill();
        await exited;
      }));
      fresh.destroy();
    }
    // The next test's connections come from the flood's address: they must
    // not meet the cap while the gateway is still closing the flood's sockets
    // (one run saw all 50 of (c)'s slow forms closed at once).
    await attackerAdmitted(port);
  });

  it('(c) slow anonymous PostObject forms are closed within the budget; others are served', async () => {
    const head = [
      'POST /bobs HTTP/1.1', `host: 127.0.0.1:${port}`, 'content-type: multipart/form-data; boundary=zz', 'content-length: 100000000', '', '--zz\r\n',
    ].join('\r\n');
    const field = 'Content-Disposition: form-data; name="key"\r\n\r\nk\r\n--zz\r\n';
    const slow = Array.from({ length: 50 }, () => new RawClient(port));
    await Promise.all(slow.map((c) => c.send(head)));
    const started = Date.now();
    let trickling = true;
    const trickle = (async () => {
      for (let i = 0; trickling; i = (i + 1) % field.length) {
        await Promise.all(slow.map((c) => c.send(field[i]!)));
        await delay(1000);
      }
    })();
    const budget = LIMITS.postFormMs + SLACK_MS;
    const stop = Promise.race([Promise.all(slow.map((c) => c.closed)), delay(budget)]).then(() => undefined);
    const bobRun = await bobServed(asBob, stop);
    await stop;
    trickling = false;
    await trickle;
    const stillOpen = slow.filter((c) => !c.sock.destroyed && c.ending().afterMs === Infinity).length;
    const codes = slow.map((c) => c.ending().code ?? 'closed');
    slow.forEach((c) => c.destroy());
    assert.equal(stillOpen, 0, `${stillOpen} of 50 slow forms still open after ${Date.now() - started} ms`);
    // Forms beyond the per-user cap (anonymous ones count by address) are refused at once.
    for (const c of codes) assert.ok(['RequestTimeout', 'SlowDown', 'closed'].includes(c), codes.join(','));
    assert.ok(codes.includes('RequestTimeout'), codes.join(','));
    assert.deepEqual(bobRun.failures, [], `bob's requests during the slow forms (slowest ${bobRun.slowestMs} ms)`);
  });

  it('(d) a silent connection and a slow request head are closed by the head deadline', async () => {
    const silent = new RawClient(port);
    const slowHead = new RawClient(port);
    await slowHead.send(`GET /bobs/k HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`);
    const started = Date.now();
    const line = 'x-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const budget = LIMITS.headersTimeoutMs + SLACK_MS;
    for (let i = 0; i < line.length && !slowHead.sock.destroyed && Date.now() - started < budget; i++) {
      await slowHead.send(line[i]!);
      await delay(1000);
    }
    await Promise.race([Promise.all([silent.closed, slowHead.closed]), delay(Math.max(0, budget - (Date.now() - started)))]);
    const open = [silent, slowHead].filter((c) => !c.sock.destroyed && c.ending().afterMs === Infinity).length;
    silent.destroy();
    slowHead.destroy();
    assert.equal(open, 0, `${open} of 2 connections still open ${Date.now() - started} ms after the head began`);
  });
});
