// Scrub and heal (DESIGN §7, "Healing"): one pass over every history entry a
// read may need, checking every node's copy and restoring the ones that are
// missing or corrupt. Shared by `powerstore heal` (cli/heal.ts) and the
// gateway's optional background scrub (Scrubber, below).
//
// What a pass visits, through the same merged listings S3 clients get (so
// every entry it sees is a completed write, written back to q nodes):
// - every bucket record (namespace BUCKETS_NS), and for each live bucket
// - every key of its namespace, delete markers included, and
// - every multipart upload record, and for each live upload its parts.
// Entries with an empty fragment (bucket and upload records, delete markers,
// empty objects, a multipart object's own entry) are checked and healed too:
// their fragment is empty but their history entry (cc, meta) is what a read
// needs t+1 nodes to describe; a node that lost its disk lost it.
// A multipart object's data lives in its parts' writes, named by ts and cc
// in the object's (verified) meta: each is checked like an object, and the
// object's own entry after them (a node acks it only once it holds every
// part).
//
// Checking a copy streams the node's whole fragment and verifies every byte
// (protocol/fragment-check.ts). A copy needs healing when the node answers
// 404 (missing), fails verification (corrupt: also evidence), or cannot
// serve it while it answers a health probe (unreadable). A node that does
// not answer at all is unreachable: nothing can be healed there, and it is
// not asked again for the rest of the pass. Healing rebuilds the fragment
// from k other nodes and re-sends the identical store message
// (protocol/heal.ts); the node checks it against cc[i] and, if its own copy
// is corrupt, replaces it (storage-node/src/store/fragment-repair.ts). A heal
// counts only once the healed copy verifies again.
//
// Races with clients: a key overwritten during the pass may have its old
// write collected at some nodes. Before anything is counted against a key,
// the register is read again; if it moved on, the old write is skipped
// (superseded), never healed below the new lc.

import type { Logger } from '@powerstore/shared/log.js';
import { nonceHash } from '@powerstore/shared/protocol/candidate.js';
import { BUCKETS_NS } from '@powerstore/shared/protocol/register.js';
import type { PartRef, StoreCommit } from '@powerstore/shared/protocol/server.js';
import { compareTs, tsKey } from '@powerstore/shared/protocol/timestamp.js';
import { parseTs } from '@powerstore/shared/protocol/wire/wire.js';
import type { GatewayMetrics } from '../metrics.js';
import { bucketNs, type BucketNs } from '../buckets.js';
import { partKey, partsNs, uploadsNs } from '../multipart/multipart-store.js';
import { decodeMeta, type MultipartLayout, type ObjectMeta, type PartLayout } from '../object-meta.js';
import type { ProtocolContext } from '../protocol/context.js';
import { checkFragment, type StoredWrite } from '../protocol/fragment-check.js';
import { healFragment, rebuildInto, storedWrite } from '../protocol/heal.js';
import { listMerged, type MergedEntry } from '../protocol/list/list-merge.js';
import { withTimeout } from '../protocol/quorum.js';
import { readRegister } from '../protocol/reader.js';

/** What a pass found of one node's copy of one write. */
export type CopyState = 'ok' | 'missing' | 'corrupt' | 'unreadable' | 'unreachable';

export interface NodeCounts {
  /** Copies looked at (every state below, unreachable included). */
  checked: number;
  ok: number;
  missing: number;
  corrupt: number;
  unreadable: number;
  unreachable: number;
  /** Copies healed and verified afterwards. */
  healed: number;
  /** Copies that needed healing and were not healed (not attempted in a dry run). */
  failed: number;
}

/** One copy that needed healing (the report keeps the first MAX_PROBLEMS). */
export interface Problem {
  readonly ns: string;
  readonly key: string;
  readonly ts: string;
  readonly node: number;
  readonly state: Exclude<CopyState, 'ok' | 'unreachable'>;
  readonly detail: string;
  /** null in a dry run. */
  healed: boolean | null;
  healDetail?: string;
}

export interface ScrubReport {
  readonly dryRun: boolean;
  readonly nodes: NodeCounts[];
  /** Registers visited: bucket records, objects and delete markers, upload records, parts of live uploads. */
  registers: number;
  /** History entries checked at every node (a multipart object counts its parts and its own entry). */
  writes: number;
  /** Writes skipped because their register moved on during the pass. */
  superseded: number;
  /** Listing or entry failures (the pass went on where it could). */
  readonly errors: string[];
  readonly problems: Problem[];
  /** Problems found beyond the ones kept in `problems`. */
  problemsDropped: number;
  aborted: boolean;
  ms: number;
}

export const MAX_PROBLEMS = 1000;
const PAGE = 1000;
const MAX_ERRORS = 100;

export interface ScrubHooks {
  /** A history entry was checked at every node (progress). */
  entry?(): void;
  /** A copy was classified (after the superseded check). */
  copy?(node: number, state: CopyState): void;
  /** A heal of node's copy ended; ok only when the healed copy verified. */
  heal?(node: number, ok: boolean): void;
}

export interface ScrubOptions {
  /** Report only: check every copy, heal nothing. */
  readonly dryRun?: boolean;
  /** Fragment checks and heals in flight at once (and entries in progress). */
  readonly concurrency: number;
  readonly log: Logger;
  readonly hooks?: ScrubHooks;
}

/**
 * Whether the pass leaves the cluster healthy: every copy it checked was
 * fine or healed, every node answered and every listing finished. A dry run
 * that found something to heal is not healthy.
 */
export function outcomeOf(r: ScrubReport): 'healthy' | 'healed' | 'unhealthy' {
  const bad = r.aborted || r.errors.length > 0 || r.nodes.some((n) => n.failed > 0 || n.unreachable > 0 ||
    (r.dryRun && n.missing + n.corrupt + n.unreadable > 0));
  if (bad) return 'unhealthy';
  return r.nodes.some((n) => n.healed > 0) ? 'healed' : 'healthy';
}

/** One pass over the whole cluster. Never rejects: an abort of `signal` ends it early, with `aborted` set. */
export async function scrubPass(ctx: ProtocolContext, opts: ScrubOptions, signal: AbortSignal): Promise<ScrubReport> {
  const pass = new Pass(ctx, opts, signal);
  await pass.run();
  return pass.report;
}

/** A write whose copies are checked, and how to heal one. */
interface Target extends StoredWrite {
  heal(node: number, signal: AbortSignal): Promise<void>;
}

/** At most n async jobs at a time (never held while waiting for another). */
class Slots {
  private readonly waiters: Array<() => void> = [];
  constructor(private free: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiters.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/** Runs tasks (which never reject) with at most `size` in progress. */
class Window {
  private readonly running = new Set<Promise<void>>();
  constructor(private readonly size: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.size) await Promise.race(this.running);
    const p: Promise<void> = task().finally(() => this.running.delete(p));
    this.running.add(p);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function label(ns: string, key: string): string {
  return ns === BUCKETS_NS ? `bucket ${JSON.stringify(key)}` : `${ns}/${key}`;
}

class Pass {
  readonly report: ScrubReport;
  private readonly slots: Slots;
  /** Nodes that did not answer a health probe: not asked again this pass. */
  private readonly down = new Set<number>();
  private readonly started = Date.now();

  constructor(private readonly ctx: ProtocolContext, private readonly o: ScrubOptions, private readonly signal: AbortSignal) {
    this.slots = new Slots(Math.max(1, o.concurrency));
    this.report = {
      dryRun: o.dryRun === true,
      nodes: Array.from({ length: ctx.params.S }, () => ({ checked: 0, ok: 0, missing: 0, corrupt: 0, unreadable: 0, unreachable: 0, healed: 0, failed: 0 })),
      registers: 0, writes: 0, superseded: 0, errors: [], problems: [], problemsDropped: 0, aborted: false, ms: 0,
    };
  }

  async run(): Promise<void> {
    try {
      const buckets: BucketNs[] = [];
      await this.walk(BUCKETS_NS, async (e, meta) => {
        await this.plain(BUCKETS_NS, e, meta);
        if (!meta.deleteMarker && meta.bucket) buckets.push(bucketNs(e.key, meta.bucket.id));
      });
      for (const b of buckets) {
        await this.walk(b, (e, meta) => this.object(b, e, meta));
        await this.walk(uploadsNs(b), async (e, meta) => {
          await this.plain(uploadsNs(b), e, meta);
          // A live upload's parts are not yet named by any object: check them here.
          if (!meta.deleteMarker && meta.upload) {
            const ns = partsNs(b, meta.upload.uploadId);
            await this.walk(ns, (p, pm) => this.plain(ns, p, pm));
          }
        });
      }
    } finally {
      this.report.aborted = this.signal.aborted;
      this.report.ms = Date.now() - this.started;
    }
  }

  private error(what: string, err: unknown): void {
    const line = `${what}: ${message(err)}`;
    if (this.report.errors.length < MAX_ERRORS) this.report.errors.push(line);
    this.o.log.warn({ err: message(err) }, `scrub: ${what}`);
  }

  /** Every entry of a namespace (delete markers included), a window of them in progress at once. */
  private async walk(ns: string, fn: (e: MergedEntry, meta: ObjectMeta) => Promise<void>): Promise<void> {
    const window = new Window(Math.max(1, this.o.concurrency));
    let after: string | null = null;
    try {
      for (;;) {
        if (this.signal.aborted) return;
        const page = await listMerged(this.ctx, { ns, prefix: '', after, skipPrefix: false, limit: PAGE }, this.signal);
        for (const e of page.entries) {
          if (this.signal.aborted) return;
          await window.add(async () => {
            this.report.registers++;
            try {
              await fn(e, decodeMeta(e.meta));
            } catch (err) {
              if (!this.signal.aborted) this.error(`checking ${label(ns, e.key)}`, err);
            }
          });
        }
        if (!page.truncated || page.lastKey === null) return;
        after = page.lastKey;
      }
    } catch (err) {
      if (!this.signal.aborted) this.error(`listing ${ns === BUCKETS_NS ? 'buckets' : ns}`, err);
    } finally {
      await window.drain();
    }
  }

  /** An entry whose data is its own fragment (possibly empty). */
  private async plain(ns: string, e: MergedEntry, meta: ObjectMeta): Promise<void> {
    await this.check(this.entryTarget(ns, e, meta, undefined), true);
  }

  private async object(bucket: BucketNs, e: MergedEntry, meta: ObjectMeta): Promise<void> {
    const mp = meta.multipart;
    if (!mp || meta.deleteMarker) return this.plain(bucket, e, meta);
    // Parts first: a node acks the object's own entry only once it holds every part.
    for (const p of mp.parts) {
      if (this.signal.aborted) return;
      await this.check(this.partTarget(bucket, mp, p), false);
    }
    const parts: PartRef[] = mp.parts.map((p) => ({ ns: partsNs(bucket, mp.uploadId), key: partKey(p.n), ts: parseTs(p.ts) }));
    await this.check(this.entryTarget(bucket, e, meta, parts), true);
  }

  /**
   * A listed entry: its candidate (normalised: the full vec), cc and meta
   * are exactly the store message every holder got, so a heal re-sends it.
   * `parts`: the multipart object's parts, as the completing store named them.
   */
  private entryTarget(ns: string, e: MergedEntry, meta: ObjectMeta, parts: PartRef[] | undefined): Target {
    const ref = { ns, key: e.key };
    // A multipart object's own fragment is empty: its bytes are the parts'.
    const layout = { size: meta.multipart ? 0 : meta.size, k: this.ctx.params.k, blockSize: meta.blockSize };
    return {
      ref, ts: e.c.ts, cc: e.cc, layout,
      heal: (node, signal) => parts
        ? rebuildInto(this.ctx, { ref, ts: e.c.ts, cc: e.cc, layout }, node,
          { ts: e.c.ts, nbar: nonceHash(e.c.nonce), d: e.c.d, vec: e.c.vec, cc: e.cc, meta: e.meta, parts }, signal)
        : healFragment(this.ctx, { ref, c: e.c, cc: e.cc, meta: e.meta, layout }, node, signal),
    };
  }

  /**
   * A part of a multipart object, named by ts and cc in the object's meta.
   * Checking needs only those; healing needs the part write's whole store
   * message (N̄, D, vec, meta). The part's register has moved on (completing
   * an upload retires its parts with delete markers), so the message comes
   * from the nodes' history entries, authenticated (storedWrite): fetched
   * once per part, and only when some copy needs it.
   */
  private partTarget(bucket: BucketNs, mp: MultipartLayout, p: PartLayout): Target {
    const ref = { ns: partsNs(bucket, mp.uploadId), key: partKey(p.n) };
    const ts = parseTs(p.ts);
    const cc = p.cc.map((h) => Buffer.from(h, 'hex'));
    const layout = { size: p.size, k: this.ctx.params.k, blockSize: p.blockSize };
    let commit: Promise<StoreCommit> | null = null;
    return {
      ref, ts, cc, layout,
      heal: async (node, signal) => {
        commit ??= storedWrite(this.ctx, { ref, ts, cc, layout }, this.signal);
        await rebuildInto(this.ctx, { ref, ts, cc, layout }, node, await commit, signal);
      },
    };
  }

  /**
   * Checks every node's copy of a write and heals those that need it.
   * `ownRegister`: the write is its register's listed value, so a problem is
   * first confirmed by reading the register again (superseded: skipped).
   * Returns false when the write was superseded.
   */
  private async check(t: Target, ownRegister: boolean): Promise<boolean> {
    const S = this.ctx.params.S;
    const found = await Promise.all(Array.from({ length: S }, (_, i) => this.inspect(t, i)));
    const needs = (s: CopyState): boolean => s !== 'ok' && s !== 'unreachable';
    if (ownRegister && found.some((f) => needs(f.state)) && (await this.superseded(t))) {
      this.report.superseded++;
      return false;
    }
    this.report.writes++;
    this.o.hooks?.entry?.();
    const ts = tsKey(t.ts);
    await Promise.all(found.map(async (f, node) => {
      const c = this.report.nodes[node]!;
      c.checked++;
      c[f.state]++;
      this.o.hooks?.copy?.(node, f.state);
      if (f.state === 'ok' || f.state === 'unreachable') return;
      const p: Problem = { ns: t.ref.ns, key: t.ref.key, ts, node, state: f.state, detail: f.detail, healed: null };
      if (this.report.problems.length < MAX_PROBLEMS) this.report.problems.push(p);
      else this.report.problemsDropped++;
      const where = { node, ns: t.ref.ns, key: t.ref.key, ts, state: f.state, detail: f.detail };
      if (this.report.dryRun) {
        this.o.log.info(where, 'copy needs healing (dry run)');
        return;
      }
      const h = await this.heal(t, node);
      p.healed = h.ok;
      if (h.ok) {
        c.healed++;
        this.o.log.info(where, 'copy healed');
      } else {
        c.failed++;
        p.healDetail = h.detail;
        this.o.log.warn({ ...where, why: h.detail }, 'copy could not be healed');
      }
      this.o.hooks?.heal?.(node, h.ok);
    }));
    return true;
  }

  /** One node's copy: verified in full, or why not. */
  private async inspect(t: Target, node: number): Promise<{ state: CopyState; detail: string }> {
    if (this.down.has(node)) return { state: 'unreachable', detail: 'did not answer earlier in this pass' };
    const v = await this.slots.run(() => checkFragment(this.ctx, t, node, this.signal));
    if (v.kind === 'ok') return { state: 'ok', detail: '' };
    if (v.kind === 'unreadable' && !(await this.alive(node))) {
      this.down.add(node);
      this.o.log.warn({ node, detail: v.detail }, 'scrub: node unreachable, skipped for the rest of this pass');
      return { state: 'unreachable', detail: v.detail };
    }
    return { state: v.kind, detail: v.detail };
  }

  private async alive(node: number): Promise<boolean> {
    try {
      await withTimeout(this.ctx.timeouts.rpcMs, this.signal, (s) => this.ctx.nodes[node]!.health(s));
      return true;
    } catch (err) {
      if (this.signal.aborted) throw err;
      return false;
    }
  }

  /** Whether the register's current value is no longer this write. */
  private async superseded(t: Target): Promise<boolean> {
    const r = await readRegister(this.ctx, t.ref, 'read', this.signal);
    return !r || compareTs(r.c.ts, t.ts) !== 0;
  }

  /** Heals node's copy, then verifies it again. */
  private async heal(t: Target, node: number): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.slots.run(() => t.heal(node, this.signal));
      const v = await this.slots.run(() => checkFragment(this.ctx, t, node, this.signal));
      return v.kind === 'ok' ? { ok: true, detail: '' } : { ok: false, detail: `the node acked, but its copy still fails: ${v.detail}` };
    } catch (err) {
      if (this.signal.aborted) throw err;
      return { ok: false, detail: message(err) };
    }
  }
}

export interface ScrubberOptions {
  /** Pause between the end of one pass and the start of the next (and before the first). */
  readonly intervalMs: number;
  /** Checks in flight at once: low, so client traffic keeps the nodes. */
  readonly concurrency: number;
  readonly log: Logger;
  readonly metrics?: GatewayMetrics;
}

/** The background scrub of a gateway: one pass at a time, then a pause, until stopped. */
export class Scrubber {
  private timer: NodeJS.Timeout | null = null;
  private readonly ctl = new AbortController();
  private current: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly ctx: ProtocolContext, private readonly o: ScrubberOptions) {}

  start(): void {
    this.o.log.info({ intervalMs: this.o.intervalMs, concurrency: this.o.concurrency }, 'background scrub on');
    this.schedule();
  }

  /** Stops the loop and aborts a pass in progress; resolves once it has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ctl.abort(new Error('gateway closing'));
    await this.current;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.current = this.pass().finally(() => {
        this.current = null;
        this.schedule();
      });
    }, this.o.intervalMs);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    const m = this.o.metrics;
    m?.scrubRunning.set(1);
    const hooks: ScrubHooks = {
      copy: (node, state) => m?.scrubCopies.inc({ node: String(node), state }),
      heal: (node, ok) => m?.scrubHeals.inc({ node: String(node), outcome: ok ? 'healed' : 'failed' }),
    };
    try {
      const r = await scrubPass(this.ctx, { concurrency: this.o.concurrency, log: this.o.log, hooks }, this.ctl.signal);
      if (r.aborted) return;
      const outcome = outcomeOf(r);
      m?.scrubPasses.inc({ outcome });
      m?.scrubLastPassSeconds.set(r.ms / 1000);
      m?.scrubLastPassEnd.set(Date.now() / 1000);
      this.o.log[outcome === 'unhealthy' ? 'warn' : 'info']({
        outcome, registers: r.registers, writes: r.writes, superseded: r.superseded, ms: r.ms, errors: r.errors.slice(0, 5),
        nodes: r.nodes,
      }, 'scrub pass done');
    } catch (err) {
      if (this.ctl.signal.aborted) return;
      m?.scrubPasses.inc({ outcome: 'error' });
      this.o.log.error({ err: message(err) }, 'scrub pass failed');
    } finally {
      m?.scrubRunning.set(0);
    }
  }
}
