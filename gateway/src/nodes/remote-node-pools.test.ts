// Review F3: upload streams that stall must not take the connections the
// other node RPCs need, and an aborted stream gives its connection back at
// once. One real node server in this process; 300 store streams are opened
// and left waiting (as a stalled client's upload leaves them), then a clock
// RPC must still be answered at once.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import type { StoreSession } from '@powerstore/shared/node-api.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { until } from '@powerstore/shared/testing/until.js';
import { DiskStore } from '../../../storage-node/src/store/disk-store.js';
import { NodeMetrics } from '../../../storage-node/src/metrics.js';
import { createNodeServer } from '../../../storage-node/src/server.js';
import { RemoteNode } from './remote-node.js';

const connections = (server: Server): Promise<number> => new Promise((r, j) => server.getConnections((e, n) => (e ? j(e) : r(n))));

describe('remote node connection pools', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const dir = mkdtempSync(join(tmpdir(), 'ps-pools-'));
  let store: DiskStore;
  let server: Server;
  let node: RemoteNode;

  before(async () => {
    store = DiskStore.open(join(dir, 'n0'), params.S);
    server = createNodeServer({
      index: 0, S: params.S, keys: keyring.nodeKeyring(0), store, log: createLogger('n0', 'silent'),
      metrics: new NodeMetrics(0), inlineMax: 1024, maxFragmentBytes: 1 << 30,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    node = new RemoteNode({ index: 0, url: `http://127.0.0.1:${port}`, keys: keyring, S: params.S, requestTimeoutMs: 5000 });
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
    await node.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a clock RPC while 300 store streams stall, and aborted streams give their connections back at once', async () => {
    const ac = new AbortController();
    const stalled: StoreSession[] = [];
    for (let i = 0; i < 300; i++) {
      const s = node.openStore({ ns: 'b', key: `stall-${i}` }, 4096, 'sha256', ac.signal);
      s.write(Buffer.alloc(4096, 1)).catch(() => undefined);
      stalled.push(s);
    }
    // Let the streams take their connections (5 s was not always enough for 300 on a loaded machine).
    await until('the streams take 256 connections', async () => (await connections(server)) >= 256, 30_000, 50);
    assert.ok((await connections(server)) >= 256, `streams hold ${await connections(server)} connections`);

    const t = Date.now();
    const clock = await Promise.race([node.clock({ ns: 'b', key: 'other' }, new AbortController().signal), delay(3000).then(() => 'no answer')]);
    assert.equal(clock, null, 'a clock RPC is answered while uploads stall');
    assert.ok(Date.now() - t < 3000);

    ac.abort();
    let left = Infinity;
    for (let i = 0; i < 40 && left > 2; i++) {
      await delay(50);
      left = await connections(server);
    }
    assert.ok(left <= 2, `${left} node connections still open 2 s after the streams were aborted`);
  });
});
