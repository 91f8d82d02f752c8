// What a node spends on one request is bounded before it knows who sent it
// (security review F4): the MAC over the claimed body hash is checked from
// the head, a Content-Length above the route's limit is refused at once,
// and a request whose bytes stop coming is cut by the idle timeout, while a
// slow store stream that keeps moving is not. A 401 names no reason.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest, STREAM_BODY } from '@powerstore/shared/node-auth.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeCommit, encodeOpen, MAX_JSON_BODY } from '@powerstore/shared/protocol/wire/node-messages.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { until } from '@powerstore/shared/testing/until.js';
import { DiskStore } from './store/disk-store.js';
import { startTestNode, type TestNode } from './testing/test-node.js';

const IDLE_MS = 1000;
const BODY_DEADLINE_MS = 2500;

/** A raw connection: what came back, and whether (and when) the node closed it. */
interface Raw {
  readonly socket: Socket;
  readonly answer: Promise<string>;
  readonly closed: Promise<number>;
}

function rawRequest(port: number, head: string): Raw {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined); // the node may reset a connection it refuses
  const opened = Date.now();
  let text = '';
  const answer = new Promise<string>((resolve) => {
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (/\r\n\r\n/.test(text)) resolve(text);
    });
    socket.once('close', () => resolve(text));
  });
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
  socket.write(head);
  return { socket, answer, closed };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => { throw new Error(`${what}: nothing within ${ms} ms`); })]);
}

describe('storage node: bounded work per request (F4)', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const key0 = keyring.nodeKey(0, 0)!;
  let node: TestNode;
  let store: DiskStore;
  let port: number;
  const ref = { ns: 'b', key: 'slow' };

  before(async () => {
    node = await startTestNode({ keys: keyring.nodeKeyring(0), S: params.S }, { idleTimeoutMs: IDLE_MS, bodyDeadlineMs: BODY_DEADLINE_MS });
    ({ store, port } = node);
  });
  after(() => node.close());

  it('answers 401 to an unauthenticated body before reading it, and closes the connection', async () => {
    const r = rawRequest(port, `POST /v1/batch HTTP/1.1\r\nhost: x\r\ncontent-length: ${(30 << 20) + 1}\r\n\r\n`);
    r.socket.write(Buffer.alloc(1 << 20, 0x41)); // 1 MiB of 30: the rest never comes
    const text = await within(r.answer, 5000, 'answer to an unauthenticated body');
    assert.match(text, /^HTTP\/1\.1 401 /);
    await within(r.closed, 5000, 'close after the refusal');
  });

  it('answers 401 to a forged MAC before reading the body', async () => {
    const claimed = createHash('sha256').update('{}').digest('hex');
    const forged = signRequest(randomBytes(32), 0, 'POST', '/v1/clock', claimed);
    const r = rawRequest(port, `POST /v1/clock HTTP/1.1\r\nhost: x\r\n${AUTH_HEADER}: ${forged}\r\n${BODY_HASH_HEADER}: ${claimed}\r\ncontent-length: 1000\r\n\r\n{`);
    assert.match(await within(r.answer, 5000, 'answer to a forged MAC'), /^HTTP\/1\.1 401 /);
    r.socket.destroy();
  });

  it('refuses a Content-Length above the route limit at once, even when signed (413)', async () => {
    const claimed = 'a'.repeat(64);
    const auth = signRequest(key0, 0, 'POST', '/v1/clock', claimed);
    const r = rawRequest(port, `POST /v1/clock HTTP/1.1\r\nhost: x\r\n${AUTH_HEADER}: ${auth}\r\n${BODY_HASH_HEADER}: ${claimed}\r\ncontent-length: ${MAX_JSON_BODY + 1}\r\n\r\n`);
    assert.match(await within(r.answer, 5000, 'answer to an oversized Content-Length'), /^HTTP\/1\.1 413 /);
    await within(r.closed, 5000, 'close after the refusal');
  });

  it('refuses a signed body whose real hash differs from the claimed one', async () => {
    const body = Buffer.from(JSON.stringify({ ns: 'b', key: 'k' }));
    const claimed = createHash('sha256').update('something else').digest('hex');
    const res = await request(`http://127.0.0.1:${port}/v1/clock`, {
      method: 'POST', body, headers: { [AUTH_HEADER]: signRequest(key0, 0, 'POST', '/v1/clock', claimed), [BODY_HASH_HEADER]: claimed },
    });
    assert.equal(res.statusCode, 401);
    await res.body.dump();
  });

  it('states no reason in a 401 (one "unauthenticated" body whatever failed)', async () => {
    const body = Buffer.from(JSON.stringify({ ns: 'b', key: 'k' }));
    const hash = createHash('sha256').update(body).digest('hex');
    const cases: Record<string, string>[] = [
      {},
      { [AUTH_HEADER]: signRequest(randomBytes(32), 0, 'POST', '/v1/clock', hash), [BODY_HASH_HEADER]: hash },
      { [AUTH_HEADER]: signRequest(key0, 0, 'POST', '/v1/clock', hash, Date.now() - 200_000), [BODY_HASH_HEADER]: hash },
      { [AUTH_HEADER]: signRequest(key0, 7, 'POST', '/v1/clock', hash), [BODY_HASH_HEADER]: hash },
      { [AUTH_HEADER]: signRequest(key0, 0, 'POST', '/v1/list', hash), [BODY_HASH_HEADER]: hash },
      { [AUTH_HEADER]: 'garbage', [BODY_HASH_HEADER]: hash },
    ];
    for (const headers of cases) {
      const res = await request(`http://127.0.0.1:${port}/v1/clock`, { method: 'POST', body, headers });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(await res.body.json(), { error: 'unauthenticated' });
    }
  });

  it('closes a signed request whose body stops coming (idle timeout)', async () => {
    const auth = signRequest(key0, 0, 'POST', '/v1/store', STREAM_BODY);
    const r = rawRequest(port, `POST /v1/store HTTP/1.1\r\nhost: x\r\n${AUTH_HEADER}: ${auth}\r\n${BODY_HASH_HEADER}: ${STREAM_BODY}\r\ntransfer-encoding: chunked\r\n\r\n`);
    const open = encodeOpen(ref, 64, { hash: 'sha256' });
    const first = Buffer.concat([frameHeader(FRAME_OPEN, open.length), open]);
    r.socket.write(`${first.length.toString(16)}\r\n`);
    r.socket.write(first);
    r.socket.write('\r\n');
    const ms = await within(r.closed, 10 * IDLE_MS, 'close of an idle store stream');
    assert.ok(ms >= IDLE_MS * 0.9, `closed after ${ms} ms, before the idle timeout`);
  });

  it('closes a signed JSON body that trickles in past its deadline (moving, so never idle)', async () => {
    const claimed = createHash('sha256').update('x'.repeat(100)).digest('hex');
    const auth = signRequest(key0, 0, 'POST', '/v1/clock', claimed);
    const r = rawRequest(port, `POST /v1/clock HTTP/1.1\r\nhost: x\r\n${AUTH_HEADER}: ${auth}\r\n${BODY_HASH_HEADER}: ${claimed}\r\ncontent-length: 100\r\n\r\n`);
    const drip = setInterval(() => r.socket.write('x'), IDLE_MS / 4);
    try {
      const ms = await within(r.closed, 4 * BODY_DEADLINE_MS, 'close of a trickling body');
      assert.ok(ms >= BODY_DEADLINE_MS * 0.9, `closed after ${ms} ms, before the body deadline`);
    } finally {
      clearInterval(drip);
    }
  });

  it('keeps a slow store stream that keeps moving, longer than the idle timeout', async () => {
    const frag = randomBytes(8 * 1024);
    const h = new BlockHasher(64, 'sha256');
    h.update(frag);
    const cc = Array.from({ length: params.S }, () => sha256(Buffer.alloc(0)));
    cc[0] = sha256(h.finish());
    const w = prepareWrite(keyring, params, regId(ref.ns, ref.key), null, 'aaaaaaaaaaaaaaaa', 1, cc, Buffer.from('{}'));
    const open = encodeOpen(ref, 64, { hash: 'sha256' });
    const commit = encodeCommit({ ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta });
    const steps = 16;
    const body = async function* (): AsyncGenerator<Buffer> {
      yield Buffer.concat([frameHeader(FRAME_OPEN, open.length), open]);
      for (let i = 0; i < steps; i++) {
        // Each pause shorter than the idle timeout (by 3/4 of it: a loaded machine's timers run late), all of them together longer.
        await sleep(IDLE_MS / 4);
        const part = frag.subarray((i * frag.length) / steps, ((i + 1) * frag.length) / steps);
        yield Buffer.concat([frameHeader(FRAME_DATA, part.length), part]);
      }
      yield Buffer.concat([frameHeader(FRAME_COMMIT, commit.length), commit]);
    };
    const started = Date.now();
    const res = await request(`http://127.0.0.1:${port}/v1/store`, {
      method: 'POST', body: Readable.from(body()),
      headers: { [AUTH_HEADER]: signRequest(key0, 0, 'POST', '/v1/store', STREAM_BODY), [BODY_HASH_HEADER]: STREAM_BODY },
    });
    const text = await res.body.text();
    assert.equal(res.statusCode, 200, text);
    assert.ok(Date.now() - started > 2 * IDLE_MS, 'the stream lasted longer than the idle timeout');
    assert.equal(store.counts().histEntries, 1);
  });
});

describe('storage node: connection cap (F4)', () => {
  let node: TestNode;
  let port: number;
  before(async () => {
    const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
    node = await startTestNode({ keys: keyring.nodeKeyring(0), S: 4 }, { maxConnections: 2 });
    ({ port } = node);
  });
  after(() => node.close());

  it('drops connections beyond maxConnections, keeps the others', async () => {
    const held = [rawRequest(port, ''), rawRequest(port, '')];
    // The third must come after the node took both: on a loaded machine 200 ms may not be enough.
    const taken = (): Promise<number> => new Promise((r, j) => node.server.getConnections((e, n) => (e ? j(e) : r(n))));
    await until('the node took the two connections within the cap', async () => (await taken()) === 2, 10_000, 10);
    const third = rawRequest(port, '');
    await within(third.closed, 5000, 'the connection above the cap');
    const res = rawRequest(port, '');
    await within(res.closed, 5000, 'another connection above the cap');
    let open = 0;
    for (const h of held) if (!h.socket.destroyed) open++;
    assert.equal(open, 2, 'the two connections within the cap are still open');
    for (const h of held) h.socket.destroy();
  });
});
