// The read side of the data plane (DESIGN §7): fetch the stripes that hold
// the requested bytes from the k data-shard nodes (systematic code: no
// decoding in the common case) and verify every block against the committed
// block-hash lists before it goes anywhere. A missing, slow or corrupt shard
// switches that stripe to another node's shard (parity) and decoding.
// Read traffic is 1× the requested bytes when nothing fails.

import { equalBytes } from '../../../shared/src/bytes.js';
import { RestoreError } from '../../../shared/src/errors.js';
import { sha256 } from '../../../shared/src/hash.js';
import { shardBytes, stripeDataBytes, stripesForRange, type StripeLayout } from '../../../shared/src/erasure/layout.js';
import type { ProtocolContext } from './context.js';
import { ExactReader } from './exact-reader.js';
import type { ReadResult } from './reader.js';

class ShardSource {
  private reader: ExactReader | null = null;
  private list: Buffer | undefined;

  constructor(
    private readonly ctx: ProtocolContext,
    private readonly r: ReadResult,
    readonly node: number,
    proven: Buffer | undefined,
  ) {
    this.list = proven;
  }

  /** Opens the node's stream at stripe `from`; fetches and checks its block list if not proven. */
  async open(from: number, to: number, signal: AbortSignal): Promise<void> {
    const api = this.ctx.nodes[this.node]!;
    const withList = this.list === undefined;
    this.reader = new ExactReader(api.readBlocks(this.r.ref, this.r.c.ts, from, to, withList, signal), this.ctx.timeouts.dataIdleMs);
    if (withList) {
      const len = (await this.reader.read(4)).readUInt32BE(0);
      if (len % 32 !== 0 || len > 64 * 1024 * 1024) throw new Evidence('block list has a bad length');
      const list = await this.reader.read(len);
      if (!equalBytes(sha256(list), this.r.cc[this.node]!)) throw new Evidence('block list does not match cc');
      this.list = list;
    }
  }

  /** Block `s` of this node's fragment, verified against its committed hash. */
  async block(s: number, len: number): Promise<Buffer> {
    const b = await this.reader!.read(len);
    const want = this.list!.subarray(s * 32, s * 32 + 32);
    if (want.length !== 32 || !equalBytes(sha256(b), want)) throw new Evidence(`block ${s} fails its hash`);
    return b;
  }

  close(): void {
    this.reader?.close();
  }
}

/** A failure that proves misbehaviour (as opposed to lag). */
class Evidence extends Error {}

/**
 * Streams object bytes [first, last] (inclusive) of the value chosen by a read.
 * The layout comes from the value's verified metadata.
 */
export async function* restoreRange(
  ctx: ProtocolContext,
  r: ReadResult,
  layout: StripeLayout,
  first: number,
  last: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  if (layout.size === 0 || last < first) return;
  const { k, S } = ctx.params;
  const { from, to } = stripesForRange(layout, first, last);
  const proven = new Map(r.state.holdersOf(r.c).map((h) => [h.node, h.blocks]));
  // Preference: data-shard nodes first (no decoding), then proven holders, then the rest.
  const order = [...Array(S).keys()].sort((a, b) => rank(a) - rank(b));
  function rank(i: number): number {
    return (i < k ? 0 : 2) + (proven.has(i) ? 0 : 1);
  }
  const tried = new Set<number>();
  let active: ShardSource[] = [];

  const fail = (src: ShardSource, err: unknown): void => {
    src.close();
    if (err instanceof Evidence) ctx.observer.evidence({ node: src.node, kind: 'corrupt-block', detail: err.message });
    else ctx.observer.nodeTrouble(src.node, 'read blocks', err);
  };

  /** Opens the next untried node at stripe s; null when none is left. */
  const nextSource = async (s: number): Promise<ShardSource | null> => {
    for (const node of order) {
      if (tried.has(node)) continue;
      tried.add(node);
      // A node proven by a late filter answer counts as proven too.
      const src = new ShardSource(ctx, r, node, proven.get(node) ?? r.state.holdersOf(r.c).find((h) => h.node === node)?.blocks);
      try {
        await src.open(s, to, signal);
        return src;
      } catch (err) {
        fail(src, err);
      }
    }
    return null;
  };

  try {
    for (let s = from; s <= to; s++) {
      const shard = shardBytes(layout, s);
      const blocks = new Map<number, Buffer>();
      let pending = active;
      active = [];
      for (;;) {
        const results = await Promise.allSettled(pending.map((src) => src.block(s, shard)));
        results.forEach((res, j) => {
          const src = pending[j]!;
          if (res.status === 'fulfilled') {
            blocks.set(src.node, res.value);
            active.push(src);
          } else fail(src, res.reason);
        });
        if (blocks.size >= k) break;
        const need = k - blocks.size;
        pending = [];
        for (let j = 0; j < need; j++) {
          const src = await nextSource(s);
          if (!src) throw new RestoreError(`stripe ${s}: only ${blocks.size} of ${k} shards could be read`);
          pending.push(src);
        }
      }
      const data = await assemble(ctx, blocks, shard);
      const stripeStart = s * k * layout.blockSize;
      const dataLen = stripeDataBytes(layout, s);
      const a = Math.max(first - stripeStart, 0);
      const b = Math.min(last - stripeStart + 1, dataLen);
      yield data.subarray(a, b);
    }
  } finally {
    for (const src of active) src.close();
  }
}

/** The stripe's data shards, decoding missing ones from parity when needed. */
async function assemble(ctx: ProtocolContext, blocks: Map<number, Buffer>, shard: number): Promise<Buffer> {
  const { k, S } = ctx.params;
  const data = Buffer.allocUnsafe(shard * k);
  const missing: number[] = [];
  for (let i = 0; i < k; i++) {
    const b = blocks.get(i);
    if (b) b.copy(data, i * shard);
    else missing.push(i);
  }
  if (missing.length === 0) return data;
  const parity = Buffer.alloc(shard * (S - k));
  const present: number[] = [];
  for (const [i, b] of blocks) {
    if (i >= k) b.copy(parity, (i - k) * shard);
    present.push(i);
  }
  await ctx.coder.reconstruct(data, parity, shard, present.slice(0, k), missing);
  return data;
}
