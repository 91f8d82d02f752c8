// One real storage node process (the compiled main.js the launcher runs),
// attacked from its port as the security review did: unauthenticated bodies
// held open (F4, probes N9/N10), a captured request replayed after a
// restart (F10, probe N11), and the modes of what it writes (F8, probe S3).

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { spawnChild, stopChild, type Child } from '../../gateway/src/cli/child.js';
import { NODE_SCRIPT } from '../../gateway/src/cli/launcher.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest, STREAM_BODY } from '@powerstore/shared/node-auth.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { NODE_CONFIG_FORMAT } from '../../storage-node/src/config.js';
import { storeBody } from '../../storage-node/src/testing/store-bodies.js';

/** Resident memory of a process, in bytes. */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

describe('a storage node process under attack from its port', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const key0 = keyring.nodeKey(0, 0)!;
  const dir = mkdtempSync(join(tmpdir(), 'ps-node-hard-'));
  const storeDir = join(dir, 'store');
  const configPath = join(dir, 'node.json');
  let node: Child;
  let port = 0;
  let url = '';

  const start = async (): Promise<void> => {
    node = await spawnChild('node 0', NODE_SCRIPT, ['--config', configPath, '--data', storeDir, '--port', String(port), '--host', '127.0.0.1'],
      join(dir, 'node.log'), { ...process.env, POWERSTORE_LOG_LEVEL: 'warn' });
    port = node.port;
    url = `http://127.0.0.1:${port}`;
  };

  before(async () => {
    writeFileSync(configPath, JSON.stringify({ format: NODE_CONFIG_FORMAT, index: 0, t: 1, keys: { 0: key0.toString('hex') }, currentEpoch: 0 }));
    // A store made before F8 (umask 022): world-readable folders.
    mkdirSync(join(storeDir, 'frags', 'ab'), { recursive: true });
    for (const d of [storeDir, join(storeDir, 'frags'), join(storeDir, 'frags', 'ab')]) chmodSync(d, 0o755);
    writeFileSync(join(storeDir, 'node.db'), ''); // an empty file is a new SQLite database
    chmodSync(join(storeDir, 'node.db'), 0o644);
    await start();
  });
  after(async () => {
    if (node) await stopChild(node);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps object data owner-only: folders 0700, fragment files, segments and node.db 0600, old folders tightened (F8)', async () => {
    // 100 KiB: above the 64 KiB kept inline, into a segment; 1.5 MiB: above one staging batch, a fragment file.
    for (const [key, size] of [['secret', 100 * 1024], ['large', 1536 * 1024]] as const) {
      const { body } = storeBody(keyring, params, key, randomBytes(size), 1, 4096);
      const res = await request(`${url}/v1/store`, {
        method: 'POST', body,
        headers: { [AUTH_HEADER]: signRequest(key0, 0, 'POST', '/v1/store', STREAM_BODY), [BODY_HASH_HEADER]: STREAM_BODY },
      });
      assert.equal(res.statusCode, 200, await res.body.text());
    }

    const segs = join(storeDir, 'segs');
    const segments = readdirSync(segs);
    assert.equal(segments.length, 1, 'one segment written');
    assert.equal(mode(join(segs, segments[0]!)), '600', 'segment');
    assert.equal(mode(segs), '700', segs);
    const frags = join(storeDir, 'frags');
    const files = readdirSync(frags).flatMap((sub) => readdirSync(join(frags, sub)).map((f) => join(frags, sub, f)));
    assert.equal(files.length, 1, 'one fragment file written');
    assert.equal(mode(files[0]!), '600', 'fragment file');
    for (const d of [storeDir, join(storeDir, 'staging'), frags, ...readdirSync(frags).map((s) => join(frags, s))]) assert.equal(mode(d), '700', d);
    const db = readdirSync(storeDir).filter((f) => f.startsWith('node.db'));
    assert.ok(db.includes('node.db') && db.includes('node.db-wal'), db.join(' '));
    for (const f of db) assert.equal(mode(join(storeDir, f)), '600', f);
  });

  it('refuses 24 unauthenticated 30 MiB bodies from their heads; memory stays flat, connections close (F4, N9/N10)', async () => {
    const body = Buffer.alloc(30 << 20, 0x41); // one buffer, written to every socket: the test's own memory stays small
    const before = rss(node.proc.pid!);
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, rss(node.proc.pid!)); }, 50);
    const outcomes = await Promise.all(Array.from({ length: 24 }, () => new Promise<{ status: string; closed: boolean }>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let text = '';
      const done = (closed: boolean): void => resolve({ status: text.split('\r\n')[0] ?? '', closed });
      const timer = setTimeout(() => { done(false); s.destroy(); }, 20_000);
      s.on('error', () => undefined); // a refused body is reset mid-write
      s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
      s.once('close', () => { clearTimeout(timer); done(true); });
      s.write(`POST /v1/batch HTTP/1.1\r\nhost: x\r\ncontent-length: ${(30 << 20) + 1}\r\n\r\n`);
      s.write(body); // the last byte is never sent
    })));
    await sleep(500);
    clearInterval(sampler);
    peak = Math.max(peak, rss(node.proc.pid!));
    const grew = peak - before;
    assert.ok(grew < 100 * 1024 * 1024, `node RSS grew by ${(grew / 1048576).toFixed(0)} MB (from ${(before / 1048576).toFixed(0)} MB)`);
    assert.deepEqual(outcomes.filter((o) => !o.closed).length, 0, 'every connection closed by the node');
    // The node answered each with a 401 and closed; a client still writing
    // may see the reset before it reads the answer, so the node's count says it.
    for (const o of outcomes) assert.ok(o.status === 'HTTP/1.1 401 Unauthorized' || o.status === '', o.status);
    const metrics = await (await request(`${url}/metrics`)).body.text();
    assert.match(metrics, /^powerstore_node_auth_failures_total\{?[^}]*\}? 24$/m);
  });

  it('refuses a captured request replayed after a restart (F10, N11)', async () => {
    const body = Buffer.from(JSON.stringify({ ns: 'b', key: 'k' }));
    const hash = createHash('sha256').update(body).digest('hex');
    const headers = { [AUTH_HEADER]: signRequest(key0, 0, 'POST', '/v1/clock', hash), [BODY_HASH_HEADER]: hash };
    const send = async (): Promise<number> => {
      const res = await request(`${url}/v1/clock`, { method: 'POST', body, headers });
      await res.body.dump();
      return res.statusCode;
    };
    assert.equal(await send(), 200);
    assert.equal(await send(), 401, 'replay refused while the node runs');
    await stopChild(node);
    await start(); // same port, same data
    assert.equal(await send(), 401, 'replay refused after a restart');
  });
});
