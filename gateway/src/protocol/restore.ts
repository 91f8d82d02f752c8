// The read side of the data plane (DESIGN §7): fetch the stripes that hold
// the requested bytes from the k data-shard nodes (systematic code: no
// decoding in the common case) and verify every block against the committed
// block-hash lists before it goes anywhere. A missing, slow or corrupt shard
// switches that stripe to another node's shard (parity) and decoding; so
// does one that trickles (every block has a deadline) or lags behind the
// others (a bounded grace once they delivered): no source can slow a read
// below the others while another node is left to try.
// Read traffic is 1× the requested bytes when nothing fails, and the bytes
// are passed on as they arrived from the nodes (no copy) unless decoding.

import { equalBytes } from '@powerstore/shared/bytes.js';
import { RestoreError } from '@powerstore/shared/errors.js';
import { BlockDigest, blockDigest, listAlg, type BlockHashAlg } from '@powerstore/shared/erasure/block-hash.js';
import { shardBytes, stripeCount, stripeDataBytes, stripesForRange, type StripeLayout } from '@powerstore/shared/erasure/layout.js';
import type { RegRef } from '@powerstore/shared/node-api.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import type { ProtocolContext } from './context.js';
import { ExactReader } from './exact-reader.js';

/** One stored write whose fragments can be read: register, ts and the agreed cc. */
export interface StoredValue {
  readonly ref: RegRef;
  readonly ts: Timestamp;
  readonly cc: readonly Buffer[];
  /** Block-hash lists already proven (hashing to cc[i]) by node, e.g. from filter answers. */
  proven(): ReadonlyMap<number, Buffer>;
  /** Whole fragments some nodes already sent (small writes), unverified until used. */
  fragments?(): ReadonlyMap<number, Buffer>;
  /** Nodes not proven holders but very likely ones: up, and their lc is this write (collect). */
  likelyHolders?(): ReadonlySet<number>;
  /** Called before any node is asked for blocks (a read narrows its pins then: reader.ts pinsWhileStreaming). */
  beforeFetch?(): void;
  /**
   * Nodes that failed as a source of an earlier value read for the same
   * request (a multipart object's earlier parts): tried last, so a node
   * that withholds its blocks costs a GET one timeout, not one per part.
   * Failures here are added to it.
   */
  readonly failedSources?: Set<number>;
}

/** What a read knows of each node when it picks its sources (StripeReader). */
export interface SourceFacts {
  readonly exclude: ReadonlySet<number>;
  readonly failed?: ReadonlySet<number> | undefined;
  readonly proven: ReadonlyMap<number, unknown>;
  readonly likely: ReadonlySet<number>;
  readonly held: ReadonlyMap<number, unknown>;
}

/**
 * The nodes of a cluster of S (k data shards) in the order a read tries
 * them as sources, `exclude` left out: those that failed an earlier part
 * last; before them, the proven or likely holders; among those, nodes whose
 * fragment is already in memory, then data-shard nodes; ties by node.
 * Sorted by key rank·S + node in a typed array, which sorts numerically with
 * no comparator: a rank closure and a comparator made per read had their
 * optimized code dropped at every full collection and compiled again
 * (README, "V8's compiler").
 */
export function sourceOrder(k: number, S: number, f: SourceFacts): number[] {
  const keys: number[] = [];
  for (let i = 0; i < S; i++) {
    if (f.exclude.has(i)) continue;
    const rank = (f.failed?.has(i) ? 8 : 0) + (f.proven.has(i) || f.likely.has(i) ? 0 : 4) + (f.held.has(i) ? 0 : 2) + (i < k ? 0 : 1);
    keys.push(rank * S + i);
  }
  const order: number[] = [];
  for (const key of Uint32Array.from(keys).sort()) order.push(key % S);
  return order;
}

/** A failure that proves misbehaviour (as opposed to lag). */
class Misbehaviour extends Error {}

/** A source left behind because the others delivered long before it: lag, not evidence. */
class LaggingSource extends Error {}

/**
 * Once some source delivered a stripe, the others get this many times as
 * long as that took (at least a tenth of the idle timeout) before a spare
 * node replaces them.
 */
const GRACE_FACTOR = 3;

/** The hash of a block that came in `parts`: one-shot when it came whole (a small object's block always does). */
function digestOf(alg: BlockHashAlg, parts: readonly Buffer[]): Buffer {
  if (parts.length === 1) return blockDigest(alg, parts[0]!);
  const h = new BlockDigest(alg);
  for (const p of parts) h.update(p);
  return h.digest();
}

class ShardSource {
  private reader: ExactReader | null = null;
  /** What the list's block hashes are in, once the list is known (cc[i] says: block-hash.ts). */
  hash: BlockHashAlg | null;

  constructor(
    private readonly ctx: ProtocolContext,
    private readonly v: StoredValue,
    readonly node: number,
    private list: Buffer | undefined,
    private readonly blockSize: number,
    /** The block list's length: 32 bytes per stripe of the layout. */
    private readonly listBytes: number,
  ) {
    this.hash = list ? listAlg(v.cc[node]!, list) : null;
  }

  /** Longest one block (or the block list) may take to arrive, however steadily it trickles. */
  private get deadlineMs(): number {
    return this.ctx.timeouts.dataIdleMs;
  }

  /** Opens the node's stream at stripe `from`; fetches and checks its block list if not proven. */
  async open(from: number, to: number, signal: AbortSignal): Promise<void> {
    const held = this.list ? this.v.fragments?.().get(this.node) : undefined;
    if (held) {
      // Sent along with the filter answer: read from memory, verified like any block.
      const start = Math.min(from * this.blockSize, held.length);
      this.reader = new ExactReader((async function* () { yield held.subarray(start); })(), this.ctx.timeouts.dataIdleMs);
      return;
    }
    this.v.beforeFetch?.();
    const api = this.ctx.nodes[this.node]!;
    const withList = this.list === undefined;
    this.reader = new ExactReader(api.readBlocks(this.v.ref, this.v.ts, from, to, withList, signal), this.ctx.timeouts.dataIdleMs);
    if (withList) {
      const len = (await this.reader.read(4, this.deadlineMs)).readUInt32BE(0);
      if (len !== this.listBytes) throw new Misbehaviour(`block list of ${len} bytes, not ${this.listBytes}`);
      const list = await this.reader.read(len, this.deadlineMs);
      this.hash = listAlg(this.v.cc[this.node]!, list);
      if (!this.hash) throw new Misbehaviour('block list does not match cc');
      this.list = list;
    }
  }

  /** Block `s` of this node's fragment as received, verified against its committed hash. */
  async block(s: number, len: number): Promise<Buffer[]> {
    const parts = await this.reader!.readParts(len, this.deadlineMs);
    if (!this.hash) throw new Misbehaviour('block list does not match cc');
    const want = this.list!.subarray(s * 32, s * 32 + 32);
    if (want.length !== 32 || !equalBytes(digestOf(this.hash, parts), want)) throw new Misbehaviour(`block ${s} fails its hash`);
    return parts;
  }

  close(): void {
    this.reader?.close();
  }
}

/**
 * Reads stripes [from, to] of a stored value in order: for each stripe, k
 * verified blocks from k different nodes (data-shard nodes first). Sources
 * that fail, stall or lie are replaced by the next node for the rest of the
 * stripes. `exclude` keeps nodes out (a node being healed).
 */
export class StripeReader {
  private readonly order: number[];
  private readonly tried = new Set<number>();
  private active: ShardSource[] = [];
  /** What the value's blocks are hashed with, once a block was verified (every fragment of a write uses one). */
  hash: BlockHashAlg | null = null;

  constructor(
    private readonly ctx: ProtocolContext,
    private readonly v: StoredValue,
    private readonly layout: StripeLayout,
    private readonly to: number,
    private readonly signal: AbortSignal,
    exclude: ReadonlySet<number> = new Set(),
  ) {
    const { k, S } = ctx.params;
    const proven = v.proven();
    const likely = v.likelyHolders?.() ?? new Set<number>();
    // Preference: nodes that proved in filter they hold the write, or whose
    // lc is the write (they answered collect: up), data-shard nodes first
    // among them (no decoding); then the rest. A silent node never answers,
    // so it is tried last. Proven holders alone put parity ahead of a data
    // node whenever that node's filter answer was the one the read did not
    // wait for: 347 of 800 reads decoded in a GET load of a local cluster.
    // A fragment already in memory (sent along with a filter answer) comes
    // first, parity or not: decoding two small shards costs microseconds, a
    // block request a round trip and a narrow to every node.
    const held = v.fragments?.() ?? new Map<number, Buffer>();
    this.order = sourceOrder(k, S, { exclude, failed: v.failedSources, proven, likely, held });
  }

  /** k verified blocks of stripe s, by node (as received, in pieces). */
  async stripe(s: number): Promise<Map<number, Buffer[]>> {
    const { k } = this.ctx.params;
    const shard = shardBytes(this.layout, s);
    const blocks = new Map<number, Buffer[]>();
    let pending = this.active;
    this.active = [];
    const started = Date.now();
    for (;;) {
      await this.gather(pending, s, shard, blocks, started);
      if (blocks.size >= k) return blocks;
      pending = await this.openSources(k - blocks.size, s);
      if (pending.length === 0) throw new RestoreError(`stripe ${s}: only ${blocks.size} of ${k} shards could be read`);
    }
  }

  /**
   * Opens `need` more sources at stripe s, at once. Opening a source not
   * proven in filter fetches its block list, which a silent or withholding
   * node never sends: once some sources opened, the rest get the same grace
   * as slow blocks (gather), after which one more node is opened beside each
   * (hedged), whichever answers first being used. So a node that withholds
   * costs a grace, not its idle timeout (the nemesis suite's multipart GETs
   * paid one timeout per read). Resolves with fewer only when no node is left.
   */
  private openSources(need: number, s: number): Promise<ShardSource[]> {
    return new Promise((resolve) => {
      const got: ShardSource[] = [];
      const opening = new Set<ShardSource>();
      const started = Date.now();
      let grace: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(grace);
        // The hedges' losers: slow, so tried last by this read's later parts too.
        for (const src of opening) this.fail(src, new LaggingSource(`stripe ${s}: block list not delivered ${Date.now() - started} ms after the first`));
        opening.clear();
        resolve(got);
      };
      const launch = (): boolean => {
        const node = this.order.find((n) => !this.tried.has(n));
        if (node === undefined) return false;
        this.tried.add(node);
        // Late filter answers may have proven more holders since the read began.
        const src = new ShardSource(this.ctx, this.v, node, this.v.proven().get(node), this.layout.blockSize, stripeCount(this.layout) * 32);
        opening.add(src);
        src.open(s, this.to, this.signal).then(
          () => {
            if (!opening.delete(src)) return; // left behind meanwhile: closed already
            got.push(src);
            if (got.length >= need) return finish();
            // Nothing opening and nobody left to try: no grace can bring more.
            if (opening.size === 0 && this.spare() === 0) return finish();
            if (grace === undefined) {
              grace = setTimeout(hedge, Math.max(this.ctx.timeouts.dataIdleMs / 10, GRACE_FACTOR * (Date.now() - started)));
            }
          },
          (err: unknown) => {
            if (!opening.delete(src)) return;
            this.fail(src, err);
            if (!launch() && opening.size === 0) finish();
          },
        );
        return true;
      };
      const hedge = (): void => {
        for (let j = got.length; j < need; j++) if (!launch()) break;
        if (opening.size === 0) finish();
      };
      for (let j = 0; j < need; j++) if (!launch()) break;
      if (opening.size === 0) finish();
    });
  }

  close(): void {
    for (const src of this.active) src.close();
    this.active = [];
  }

  /**
   * Block s from every pending source into `blocks` (those that deliver stay
   * active). Each block has its own deadline, so a source that trickles
   * fails; and once one source delivered, the rest get a grace (GRACE_FACTOR)
   * after which as many of them as there are untried nodes are left behind,
   * for the caller to replace. Without a spare node the last ones are waited
   * for up to their deadline: a slow source beats none.
   */
  private gather(pending: ShardSource[], s: number, shard: number, blocks: Map<number, Buffer[]>, started: number): Promise<void> {
    if (pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const open = new Set(pending);
      let grace: NodeJS.Timeout | undefined;
      const settled = (src: ShardSource): void => {
        open.delete(src);
        if (open.size > 0) return;
        clearTimeout(grace);
        resolve();
      };
      const leaveBehind = (): void => {
        for (const src of [...open].slice(0, this.spare())) {
          this.fail(src, new LaggingSource(`stripe ${s}: still not delivered ${Date.now() - started} ms after the stripe began`));
          settled(src);
        }
      };
      for (const src of pending) {
        src.block(s, shard).then(
          (parts) => {
            if (!open.has(src)) return; // left behind meanwhile: closed already
            blocks.set(src.node, parts);
            this.hash ??= src.hash;
            this.active.push(src);
            settled(src);
            if (grace === undefined && open.size > 0 && this.spare() > 0) {
              grace = setTimeout(leaveBehind, Math.max(this.ctx.timeouts.dataIdleMs / 10, GRACE_FACTOR * (Date.now() - started)));
            }
          },
          (err: unknown) => {
            if (!open.has(src)) return;
            this.fail(src, err);
            settled(src);
          },
        );
      }
    });
  }

  /** Nodes not yet tried as a source of this read. */
  private spare(): number {
    return this.order.filter((n) => !this.tried.has(n)).length;
  }

  private fail(src: ShardSource, err: unknown): void {
    src.close();
    this.v.failedSources?.add(src.node);
    if (err instanceof Misbehaviour) this.ctx.observer.evidence({ node: src.node, kind: 'corrupt-block', detail: err.message });
    else this.ctx.observer.nodeTrouble(src.node, 'read blocks', err);
  }
}

/** Streams object bytes [first, last] (inclusive) of a stored value with the given layout. */
export async function* restoreRange(
  ctx: ProtocolContext,
  v: StoredValue,
  layout: StripeLayout,
  first: number,
  last: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  if (layout.size === 0 || last < first) return;
  const { k } = ctx.params;
  const { from, to } = stripesForRange(layout, first, last);
  const reader = new StripeReader(ctx, v, layout, to, signal);
  try {
    for (let s = from; s <= to; s++) {
      const blocks = await reader.stripe(s);
      const stripeStart = s * k * layout.blockSize;
      const a = Math.max(first - stripeStart, 0);
      const b = Math.min(last - stripeStart + 1, stripeDataBytes(layout, s));
      yield* window(await dataShards(ctx, blocks, shardBytes(layout, s)), a, b);
    }
  } finally {
    reader.close();
  }
}

/** Bytes [a, b) of a stripe whose data shards, in order, are given as pieces. */
function* window(shards: Buffer[][], a: number, b: number): Generator<Buffer> {
  let off = 0;
  for (const pieces of shards) {
    for (const p of pieces) {
      const lo = Math.max(a - off, 0);
      const hi = Math.min(b - off, p.length);
      if (hi > lo) yield lo === 0 && hi === p.length ? p : p.subarray(lo, hi);
      off += p.length;
      if (off >= b) return;
    }
  }
}

/**
 * The stripe's k data shards as pieces, decoding missing ones from parity
 * when needed. A shard that came is handed on as it came; a rebuilt one is
 * copied out of the decoding buffers into memory of its own, so those
 * buffers, the stripe pool's when shards are large, go back at once. Fresh
 * zeroed buffers a stripe (as before) cost a degraded 64 MiB GET 4 MiB of
 * new memory a stripe: 6,300 page faults against 1,000 healthy, 1.3 ms/MB
 * more gateway CPU and 33 MiB more peak RSS (a data node stopped, 64 MiB
 * GETs from a /tmp load script).
 */
export async function dataShards(ctx: ProtocolContext, blocks: Map<number, Buffer[]>, shard: number): Promise<Buffer[][]> {
  const { k, S } = ctx.params;
  const missing: number[] = [];
  for (let i = 0; i < k; i++) if (!blocks.has(i)) missing.push(i);
  if (missing.length === 0) return Array.from({ length: k }, (_, i) => blocks.get(i)!);
  const pooled = ctx.stripes.pools(shard);
  const dataBuf = pooled ? ctx.stripes.take() : Buffer.allocUnsafe(shard * k);
  const parityBuf = pooled ? ctx.stripes.take() : Buffer.allocUnsafe(shard * (S - k));
  const data = dataBuf.subarray(0, shard * k);
  const parity = parityBuf.subarray(0, shard * (S - k));
  const present: number[] = [];
  for (const [i, pieces] of blocks) {
    if (present.length === k) break;
    const target = i < k ? data : parity;
    let off = (i < k ? i : i - k) * shard;
    for (const p of pieces) {
      p.copy(target, off);
      off += p.length;
    }
    present.push(i);
  }
  // A failed decode keeps its buffers from the pool: the coder's thread may still hold them.
  await ctx.coder.reconstruct(data, parity, shard, present, missing);
  const out = Array.from({ length: k }, (_, i) => blocks.get(i) ?? [Buffer.from(data.subarray(i * shard, (i + 1) * shard))]);
  if (pooled) ctx.stripes.lease([dataBuf, parityBuf]).release();
  return out;
}
