// Listing pages cut by bytes (protocol review finding 5): a correct node's
// page that stops at LIST_PAGE_BYTES is short but full, never evidence, and
// the merge continues after it; a short page that claims to be full by bytes
// but weighs less is evidence, and never stalls or shortens the listing.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { LIST_PAGE_BYTES } from '@powerstore/shared/protocol/wire/sizes.js';
import { encodeMeta } from '../../object-meta.js';
import type { ProtocolContext } from '../context.js';
import { listMerged } from './list-merge.js';
import * as byz from '../testing/byzantine.js';
import { ref } from '../testing/ops.js';
import { simCluster, type SimCluster } from '../testing/sim-cluster.js';
import { writeRegister } from '../writer.js';

const signal = new AbortController().signal;
/** Each object's meta weighs ~100 KB: 60 of them make two pages by bytes. */
const HEAVY = 100_000;
const KEYS = Array.from({ length: 60 }, (_, i) => `obj/${String(i).padStart(3, '0')}`);

async function* empty(): AsyncIterable<Buffer> {}

async function populate(cl: SimCluster): Promise<void> {
  const gw = cl.gateway();
  for (const key of KEYS) {
    await writeRegister(gw, ref(key), {
      body: empty(),
      finalize: (size, blockSize) => encodeMeta({ v: 1, size, blockSize, lastModified: 1, user: { pad: 'x'.repeat(HEAVY) } }),
    }, 'write', signal);
  }
}

async function listAll(gw: ProtocolContext): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let after: string | null = null;
  for (let pages = 1; pages < 100; pages++) {
    const page = await listMerged(gw, { ns: 'bucket', prefix: '', after, skipPrefix: false, limit: 1000 }, signal);
    keys.push(...page.entries.map((e) => e.key));
    if (!page.truncated) return { keys, pages };
    after = page.lastKey;
  }
  throw new Error('listing did not terminate');
}

describe('listing pages cut by bytes', () => {
  it('correct nodes cut their pages by bytes: the merge continues after them, no evidence', async () => {
    const cl = simCluster(1);
    await populate(cl);
    const own = await cl.sims[0]!.list({ ns: 'bucket', prefix: '', after: null, skipPrefix: false, limit: 1000 });
    assert.equal(own.byteLimited, true);
    assert.ok(own.entries.length < KEYS.length && own.entries.length * HEAVY >= LIST_PAGE_BYTES - HEAVY);
    const { keys, pages } = await listAll(cl.gateway());
    assert.deepEqual(keys, KEYS);
    assert.ok(pages >= 2);
    assert.deepEqual(cl.evidence, []);
  });

  it('a short page claiming to be full by bytes that weighs less is evidence, and the listing is whole', async () => {
    const cl = simCluster(1);
    await populate(cl);
    cl.wrap(1, (n) => byz.override(n, {
      async list(req, s) {
        const page = await n.list(req, s);
        return { entries: page.entries.slice(0, 2), truncated: true, byteLimited: true };
      },
    }));
    const { keys } = await listAll(cl.gateway());
    assert.deepEqual(keys, KEYS);
    assert.ok(cl.evidence.some((e) => e.node === 1 && e.kind === 'bad-listing' && /byte-limited page weighs only/.test(e.detail)));
    assert.ok(cl.evidence.every((e) => e.node === 1));
  });
});
