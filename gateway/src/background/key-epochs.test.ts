// NodeEpochWatch against nodes that answer their key status over HTTP:
// behind() only when t+1 nodes hold a newer epoch (one lying node is not
// enough), recheck() bounds epochs only when q nodes answered, fetches the
// ring first, and a recheck asked during a poll gets a poll of its own.

import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { MutableWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { NodeEpochWatch } from './key-epochs.js';

const log = createLogger('key-epochs-test', 'silent');
const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A node that answers every key-status request with its epochs (or 503 when `down`). */
async function node(index: number, state: { epochs: number[]; down?: boolean; asked?: number }): Promise<string> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.asked = (state.asked ?? 0) + 1;
      if (state.down) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ node: index, current: Math.max(...state.epochs), epochs: state.epochs }));
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function cluster(states: Array<{ epochs: number[]; down?: boolean; asked?: number }>, ring = new MutableWriterKeyring(new Map([[0, randomBytes(32)]]), 0)) {
  const urls = await Promise.all(states.map((s, i) => node(i, s)));
  let refreshed = 0;
  const watch = new NodeEpochWatch({
    params: clusterParams(1), nodes: urls, keys: ring, epochs: () => ring.epochs, log,
    refreshRing: () => {
      refreshed++;
      return Promise.resolve();
    },
  });
  return { watch, ring, refreshed: () => refreshed };
}

describe('NodeEpochWatch (t=1: S=4, q=3)', () => {
  it('is behind while t+1 nodes hold a newer epoch, and bounds epochs by what t+1 of q answers hold', async () => {
    const { watch, refreshed } = await cluster([{ epochs: [0, 1] }, { epochs: [0, 1] }, { epochs: [0] }, { epochs: [0] }]);
    assert.equal(watch.behind(), null, 'nothing known before the first poll');
    assert.equal(await watch.recheck(), 1);
    assert.equal(watch.behind(), 1);
    assert.equal(refreshed(), 1, 'the ring is fetched before the nodes are asked');
  });

  it('one node claiming a newer epoch is not enough (it may be the Byzantine one)', async () => {
    const { watch } = await cluster([{ epochs: [0, 1, 2, 3, 4, 5, 6, 7] }, { epochs: [0] }, { epochs: [0] }, { epochs: [0] }]);
    assert.equal(await watch.recheck(), 0, 'an answer of epoch 7 is a forgery');
    assert.equal(watch.behind(), null);
  });

  it('with fewer than q answers it cannot bound anything (Infinity)', async () => {
    const { watch } = await cluster([{ epochs: [0, 1] }, { epochs: [0, 1] }, { epochs: [0], down: true }, { epochs: [0], down: true }]);
    assert.equal(await watch.recheck(), Infinity);
    assert.equal(watch.behind(), 1, 't+1 answers still show an epoch that is real');
  });

  it('stops being behind once the ring holds the epoch', async () => {
    const { watch, ring } = await cluster([{ epochs: [0, 1] }, { epochs: [0, 1] }, { epochs: [0, 1] }, { epochs: [0] }]);
    await watch.recheck();
    assert.equal(watch.behind(), 1);
    ring.add(1, randomBytes(32));
    assert.equal(watch.behind(), null);
  });

  it('a recheck asked while a poll runs gets a poll that starts after it; callers meanwhile share it', async () => {
    const states = [{ epochs: [0] }, { epochs: [0] }, { epochs: [0] }, { epochs: [0] }] as Array<{ epochs: number[]; asked?: number }>;
    const { watch } = await cluster(states);
    const first = watch.recheck();
    await new Promise((r) => setImmediate(r));
    const second = watch.recheck();
    const third = watch.recheck();
    assert.equal(second, third);
    await Promise.all([first, second, third]);
    assert.equal(states[0]!.asked, 2, 'two polls: the first, and one shared by the later callers');
  });
});
