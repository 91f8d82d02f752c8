// Two identical stores of one write arriving together (a gateway's re-send
// racing its first attempt, or a heal racing the store; protocol review
// finding 12): both pass the write-once check before either has recorded
// its entry, and both install a fragment file. One entry is recorded; the
// other store is then a duplicate and must not leave its file behind (it
// would stay until a restart's sweep). The recorded entry's file and bytes
// stay.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeCommit, encodeOpen, parseTsAnswer } from '@powerstore/shared/protocol/wire/node-messages.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { DiskStore } from './disk-store.js';
import { NodeMetrics } from '../metrics.js';
import type { NodeContext } from '../node-context.js';
import { handleStore } from '../handlers/store-handler.js';

const params = clusterParams(1);
const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);

/** Every file under frags/ (relative names). */
function fragFiles(dataDir: string): string[] {
  const frags = join(dataDir, 'frags');
  return readdirSync(frags).flatMap((sub) => readdirSync(join(frags, sub)).map((f) => join('frags', sub, f)));
}

describe('duplicate concurrent stores (review finding 12)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-dup-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('record one entry and leave one fragment file, holding the first store\'s bytes', async () => {
    const store = DiskStore.open(join(dir, 'n0'), params.S);
    const ctx: NodeContext = {
      index: 0, S: params.S, keys: keyring.nodeKeyring(0), store, log: createLogger('t', 'silent'),
      metrics: new NodeMetrics(0), inlineMax: 100, maxFragmentBytes: 1 << 20,
    };
    try {
      const ref = { ns: 'b', key: 'k' };
      const reg = regId(ref.ns, ref.key);
      const frag = randomBytes(1000); // above inlineMax: a fragment file
      const h = new BlockHasher(64, 'sha256');
      h.update(frag);
      const cc = Array.from({ length: params.S }, () => sha256(Buffer.alloc(0)));
      cc[0] = sha256(h.finish());
      const w = prepareWrite(keyring, params, reg, null, 'aaaaaaaaaaaaaaaa', 1, cc, Buffer.from('{}'));
      const open = encodeOpen(ref, 64, { hash: 'sha256' });
      const commit = encodeCommit({ ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc, meta: w.meta });

      // Both bodies stream their fragment (a store asks for the next chunk
      // only once it has staged the last), then wait until both have, before
      // the store message: both stores then check for an existing entry
      // before either has recorded one.
      let arrived = 0;
      let openGate!: () => void;
      const gate = new Promise<void>((r) => (openGate = r));
      async function* body(): AsyncGenerator<Buffer> {
        yield Buffer.concat([frameHeader(FRAME_OPEN, open.length), open, frameHeader(FRAME_DATA, frag.length), frag]);
        if (++arrived === 2) openGate();
        await gate;
        yield Buffer.concat([frameHeader(FRAME_COMMIT, commit.length), commit]);
      }
      const both = Promise.all([handleStore(ctx, body()), handleStore(ctx, body())]);
      const acks = await both;
      assert.ok(acks.every((a) => parseTsAnswer(JSON.parse(a.toString('utf8'))) === null), 'both acked (lc still c0)');

      assert.equal(store.counts().histEntries, 1, 'one entry');
      const entry = store.hist(reg, w.candidate.ts)!;
      assert.ok(entry.fragFile, 'file-backed');
      assert.deepEqual(fragFiles(join(dir, 'n0')), [entry.fragFile], 'one fragment file: the one the entry names');
      assert.ok(readFileSync(store.fragPath(entry.fragFile)).equals(frag), 'holding the fragment');
      assert.deepEqual(readdirSync(join(dir, 'n0', 'staging')), [], 'nothing left in staging');
    } finally {
      store.close();
    }
  });
});
