// POST /v1/keys on a real node server: a key sealed under the node's current
// key is installed durably (it survives a reopen of the key store, and the
// node then accepts requests signed under the new epoch); everything else is
// refused and changes nothing: a box sealed under a superseded or a foreign
// key, one meant for another node, a request without the usual auth, a
// conflicting key for a held epoch, a corrupt key file at start.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { ConfigError } from '@powerstore/shared/errors.js';
import { KEY_DELIVERY_PATH, sealNodeKey, SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest } from '@powerstore/shared/node-auth.js';
import { PATHS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { DiskStore } from '../store/disk-store.js';
import { NODE_KEYS_FILE, NodeKeyStore } from '../store/key-store.js';
import { NodeMetrics } from '../metrics.js';
import { createNodeServer } from '../server.js';

describe('node key delivery (POST /v1/keys)', () => {
  const params = clusterParams(1);
  const NODE = 1;
  const ring = new SecretWriterKeyring(new Map([[0, randomBytes(32)], [1, randomBytes(32)], [2, randomBytes(32)]]), 0);
  const k = (e: number, i = NODE): Buffer => ring.nodeKey(e, i)!;
  const dir = mkdtempSync(join(tmpdir(), 'ps-keys-'));
  const keysPath = join(dir, NODE_KEYS_FILE);
  let store: DiskStore;
  let keyStore: NodeKeyStore;
  let server: Server;
  let url: string;

  const post = async (path: string, body: unknown, signKey: Buffer | null, signEpoch: number) => {
    const bytes = Buffer.from(JSON.stringify(body));
    const hash = createHash('sha256').update(bytes).digest('hex');
    const res = await request(`${url}${path}`, {
      method: 'POST', body: bytes,
      headers: { [BODY_HASH_HEADER]: hash, ...(signKey ? { [AUTH_HEADER]: signRequest(signKey, signEpoch, 'POST', path, hash) } : {}) },
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: JSON.parse(text) as Record<string, unknown> };
  };
  const install = (wrapKey: Buffer, wrapEpoch: number, epoch: number, key: Buffer, node = NODE, signKey = k(wrapEpoch)) =>
    post(KEY_DELIVERY_PATH, { op: 'install', ...sealNodeKey(wrapKey, node, wrapEpoch, epoch, key) }, signKey, wrapEpoch);

  before(async () => {
    keyStore = NodeKeyStore.open(keysPath, NODE, new Map([[0, k(0)]]));
    store = DiskStore.open(join(dir, 'store'), params.S);
    server = createNodeServer({
      index: NODE, S: params.S, keys: keyStore, keyStore, store, log: createLogger('t', 'silent'),
      metrics: new NodeMetrics(NODE), inlineMax: 100, maxFragmentBytes: 1 << 20,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  after(() => {
    server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports its epochs; refuses an unauthenticated request', async () => {
    const r = await post(KEY_DELIVERY_PATH, { op: 'status' }, k(0), 0);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { node: NODE, current: 0, epochs: [0] });
    assert.equal((await post(KEY_DELIVERY_PATH, { op: 'status' }, null, 0)).status, 401);
    assert.equal((await post(KEY_DELIVERY_PATH, { op: 'status' }, k(0, 2), 0)).status, 401, 'signed with another node\'s key');
  });

  it('refuses boxes not sealed under its current key, for another node, or unauthenticated', async () => {
    const foreign = await install(randomBytes(32), 0, 1, k(1));
    assert.equal(foreign.status, 401);
    assert.equal(foreign.json.error, 'bad-key-box');
    const otherNode = await install(k(0, 2), 0, 1, k(1, 2), 2);
    assert.equal(otherNode.status, 400, 'a box for node 2 sent to node 1');
    const bytes = Buffer.from(JSON.stringify({ op: 'install', ...sealNodeKey(k(0), NODE, 0, 1, k(1)) }));
    const hash = createHash('sha256').update(bytes).digest('hex');
    const unsigned = await request(`${url}${KEY_DELIVERY_PATH}`, { method: 'POST', body: bytes, headers: { [BODY_HASH_HEADER]: hash } });
    assert.equal(unsigned.statusCode, 401);
    await unsigned.body.text();
    assert.equal(keyStore.key(1), undefined, 'nothing installed');
    assert.equal((await post(PATHS.health, {}, k(1), 1)).status, 401, 'epoch 1 still unknown');
  });

  it('installs a key sealed under its current key, durably, and then accepts that epoch', async () => {
    const r = await install(k(0), 0, 1, k(1));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json, { node: NODE, current: 1, epochs: [0, 1] });
    assert.equal((await post(PATHS.health, {}, k(1), 1)).status, 200, 'requests signed under epoch 1 now pass');
    assert.equal((await install(k(0), 0, 1, k(1))).status, 409, 'sealed under epoch 0, no longer current');
    const again = await install(k(1), 1, 1, k(1));
    assert.equal(again.status, 200, 'the same key again: idempotent (a resumed rotation re-sends)');
    assert.deepEqual(again.json.epochs, [0, 1]);
    const conflict = await install(k(1), 1, 1, randomBytes(32));
    assert.equal(conflict.status, 409);
    assert.deepEqual(keyStore.key(1), k(1), 'epoch 1 key unchanged');
    // Survives a restart: the key file alone (config has epoch 0 only) brings it back.
    const reopened = NodeKeyStore.open(keysPath, NODE, new Map([[0, k(0)]]));
    assert.deepEqual(reopened.key(1), k(1));
    assert.equal(reopened.currentEpoch, 1);
    assert.ok(!readFileSync(keysPath, 'utf8').includes(k(0).toString('hex')), 'config keys are not copied into the key file');
  });

  it('an old box replayed cannot plant an epoch below the current one', async () => {
    const old = await install(k(1), 1, 0, randomBytes(32));
    assert.equal(old.status, 409);
    assert.deepEqual(keyStore.key(0), k(0));
  });

  it('refuses a corrupt, foreign or conflicting key file at start with one line', () => {
    const good = readFileSync(keysPath, 'utf8');
    const cases: Array<[string, ReadonlyMap<number, Buffer>, number, RegExp]> = [
      [good.replace(/"1": "([0-9a-f])/, (_m, c: string) => `"1": "${c === '0' ? '1' : '0'}`), new Map([[0, k(0)]]), NODE, /checksum mismatch/],
      [good, new Map([[0, k(0, 2)]]), 2, /holds the keys of node 1/],
      [good, new Map([[0, k(0)], [1, randomBytes(32)]]), NODE, /differs from the config file/],
      ['{"format":', new Map([[0, k(0)]]), NODE, /not valid JSON/],
    ];
    for (const [text, cfgKeys, node, msg] of cases) {
      const p = join(dir, `bad-${Math.random()}.json`);
      writeFileSync(p, text);
      assert.throws(() => NodeKeyStore.open(p, node, cfgKeys), (e: unknown) => e instanceof ConfigError && msg.test(e.message) && !e.message.includes('\n'));
    }
  });

  it('installs epochs one at a time in order, each sealed under the one before', async () => {
    const r = await install(k(1), 1, 2, k(2));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.epochs, [0, 1, 2]);
    assert.deepEqual(NodeKeyStore.open(keysPath, NODE, new Map([[0, k(0)]])).epochs, [0, 1, 2]);
  });
});
