// The local cluster starts and stops like a service (issue 13, item 4; the
// operations review's §3): SIGTERM drains (an upload in flight completes, new
// connections are refused, the nodes stop after the gateways), a data folder
// takes one launcher and each store one node, and a launcher that is killed,
// or whose parent is, takes its whole cluster with it.

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { run } from '../harness/cli.js';
import { describeProcess, processesOf } from '../harness/processes.js';
import { until } from '@powerstore/shared/testing/until.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const START = resolve(here, '../../gateway/src/cli/start.js');
const NODE_MAIN = resolve(here, '../../storage-node/src/main.js');
const ENV = { ...process.env, POWERSTORE_LOG_LEVEL: 'warn' };

interface Launched {
  readonly proc: ChildProcess;
  readonly s3: S3Client;
  readonly endpoint: string;
  readonly exited: Promise<number | null>;
}

/** Waits for the banner of a start.js whose stdout is `out` (directly, or through a wrapper). */
function launched(proc: ChildProcess): Promise<Launched> {
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const endpoint = /endpoint:\s+(\S+)/.exec(out)?.[1];
      const accessKeyId = /access key:\s+(\S+)/.exec(out)?.[1];
      const secretAccessKey = /secret key:\s+(\S+)/.exec(out)?.[1];
      if (!endpoint || !accessKeyId || !secretAccessKey || !out.includes('Ctrl-C')) return;
      clearTimeout(timer);
      const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
      resolveStart({ proc, s3, endpoint, exited });
    });
    void exited.then((code) => reject(new Error(`start exited ${code}: ${out}`)));
  });
}

function start(dataDir: string, extra: string[] = []): Promise<Launched> {
  return launched(spawn(process.execPath, [START, '--data', dataDir, '--port', '0', ...extra], { env: ENV }));
}

async function allGone(dir: string, withinMs: number): Promise<void> {
  const until = Date.now() + withinMs;
  while (processesOf(dir).length > 0) {
    if (Date.now() > until) assert.fail(`still running after ${withinMs} ms: ${processesOf(dir).map(describeProcess).join('; ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const MiB = 1024 * 1024;

/** A body of `chunks` MiB that sends one MiB every `everyMs`, calling `onChunk(i)` as it goes. */
function slowBody(chunks: number, everyMs: number, onChunk: (i: number) => void): { body: Readable; sha: Promise<string> } {
  const h = createHash('sha256');
  let i = 0;
  let done: (s: string) => void = () => {};
  const sha = new Promise<string>((r) => (done = r));
  const body = new Readable({
    read() {
      if (i === chunks) {
        done(h.digest('hex'));
        this.push(null);
        return;
      }
      const c = Buffer.alloc(MiB, i + 1);
      h.update(c);
      onChunk(i++);
      setTimeout(() => this.push(c), everyMs);
    },
  });
  return { body, sha };
}

describe('the local cluster as a service', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'ps-svc-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    // A failed test may leave its cluster up: nothing of it may outlive the file.
    for (const d of dirs) for (const pid of processesOf(d)) process.kill(pid, 'SIGKILL');
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('SIGTERM drains: the upload in flight completes, new connections are refused, then everything stops; the object is there after a restart', { timeout: 180_000 }, async () => {
    const dir = tmp();
    const c = await start(dir, ['--drain-grace-s', '30']);
    await c.s3.send(new CreateBucketCommand({ Bucket: 'svc-bucket' }));
    let signalled!: () => void;
    const signalledP = new Promise<void>((r) => (signalled = r));
    const { body, sha } = slowBody(12, 250, (i) => {
      if (i === 3) {
        c.proc.kill('SIGTERM');
        signalled();
      }
    });
    const put = c.s3.send(new PutObjectCommand({ Bucket: 'svc-bucket', Key: 'in-flight', Body: body, ContentLength: 12 * MiB }));
    await signalledP;
    // The listener is closed: a new client is refused while the upload goes on. The signal reaches the
    // gateway through its launcher: on a loaded machine not always within a fixed 500 ms.
    const refused = (e: Error): boolean => /ECONNREFUSED|fetch failed/.test(`${e.message} ${String(e.cause)}`);
    await until('the listener closes', () => fetch(`${c.endpoint}/`).then(async (r) => (await r.body?.cancel(), false), refused), 10_000, 100);
    await assert.rejects(fetch(`${c.endpoint}/`), refused);
    const answer = await put;
    assert.equal(answer.$metadata.httpStatusCode, 200);
    assert.equal(await c.exited, 0);
    await allGone(dir, 10_000);
    const logs = readFileSync(join(dir, 'logs', 'gateway.log'), 'utf8');
    assert.ok(!logs.includes('cut off'), 'no request was cut off');

    const again = await start(dir);
    try {
      const got = await again.s3.send(new GetObjectCommand({ Bucket: 'svc-bucket', Key: 'in-flight' }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      assert.equal(createHash('sha256').update(bytes).digest('hex'), await sha);
    } finally {
      again.proc.kill('SIGTERM');
      await again.exited;
    }
  });

  it('a data folder takes one launcher, and a store one node: the second refuses with one line and exit 2', { timeout: 120_000 }, async () => {
    const dir = tmp();
    const c = await start(dir);
    try {
      const second = await run(process.execPath, [START, '--data', dir, '--port', '0'], ENV, 60_000);
      assert.equal(second.code, 2);
      assert.match(second.stderr, new RegExp(`^error: ${dir.replace(/[/.]/g, '\\$&')} is in use by another PoWerStore launcher \\(pid ${c.proc.pid}\\); stop it first`));
      assert.equal(second.stderr.trim().split('\n').length, 1);
      const node = await run(process.execPath, [NODE_MAIN, '--config', join(dir, 'node-0', 'node.json'), '--data', join(dir, 'node-0', 'store'), '--port', '0'], ENV, 60_000);
      assert.equal(node.code, 2);
      assert.match(node.stderr, /^error: .*node-0\/store is in use by another storage node \(pid \d+\); stop it first/);
      // The first cluster still serves.
      await c.s3.send(new CreateBucketCommand({ Bucket: 'still-here' }));
    } finally {
      c.proc.kill('SIGTERM');
      await c.exited;
    }
    await allGone(dir, 10_000);
  });

  it('a launcher killed with SIGKILL takes its nodes and gateway with it', { timeout: 120_000 }, async () => {
    const dir = tmp();
    const c = await start(dir);
    assert.ok(processesOf(dir).length >= 6, 'launcher, 4 nodes, gateway');
    c.proc.kill('SIGKILL');
    await allGone(dir, 15_000);
  });

  it('a launcher whose parent is killed (`kill <npm start pid>`) stops its cluster', { timeout: 120_000 }, async () => {
    const dir = tmp();
    // Stands in for npm: starts the launcher and is then killed without passing anything on.
    const wrapper = spawn(process.execPath, ['-e',
      `require('node:child_process').spawn(process.execPath, ${JSON.stringify([START, '--data', dir, '--port', '0'])}, { stdio: 'inherit' }); setInterval(() => {}, 1000);`],
    { env: ENV });
    const c = await launched(wrapper);
    await c.s3.send(new CreateBucketCommand({ Bucket: 'svc-bucket' }));
    wrapper.kill('SIGKILL');
    await allGone(dir, 40_000); // a half-second check, then the gateways' drain (nothing in flight) and the nodes
  });
});
