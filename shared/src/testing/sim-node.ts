// An in-memory storage node running the real pure decisions of
// protocol/server.ts: the simulated cluster that protocol unit tests drive,
// wrap with Byzantine behaviour, crash and restart. Not used in production.

import type { NodeKeyring } from '../keys.js';
import { NodeRefusedError } from '../errors.js';
import { MISSING_FRAGMENT, MISSING_PARTS } from '../protocol/wire/node-messages.js';
import type { ListEntry, ListPage, ListRequest, NodeApi, NodeHealth, PinAction, RegRef, StoreAck, StoreSession } from '../node-api.js';
import { LIST_PAGE_BYTES, listEntryWeight } from '../protocol/wire/sizes.js';
import { BlockHasher } from '../erasure/block-hasher.js';
import { listAlg, type BlockHashAlg } from '../erasure/block-hash.js';
import { regId } from '../protocol/register.js';
import { judgeComplete, judgeFilter, judgeStore, type HistRecord, type PartRef, type StoreCommit } from '../protocol/server.js';
import { PinTable } from '../protocol/pins.js';
import type { Candidate } from '../protocol/candidate.js';
import type { FilterAnswer } from '../protocol/client.js';
import { compareTs, tsKey, type Timestamp } from '../protocol/timestamp.js';

interface RegState {
  ns: string;
  key: string;
  lc: Candidate | null;
  hist: Map<string, { rec: HistRecord; frag: Buffer; parts?: readonly PartRef[] }>;
}

export class SimNode implements NodeApi {
  readonly regs = new Map<string, RegState>();
  pins = new PinTable();

  /** A restart as far as reads see one: every pin (and release marker) is gone. */
  restart(): void {
    this.pins = new PinTable();
  }

  constructor(readonly index: number, private readonly keys: NodeKeyring, private readonly S: number) {}

  private state(ref: RegRef): { reg: Buffer; st: RegState } {
    const reg = regId(ref.ns, ref.key);
    const id = reg.toString('hex');
    let st = this.regs.get(id);
    if (!st) this.regs.set(id, (st = { ns: ref.ns, key: ref.key, lc: null, hist: new Map() }));
    return { reg, st };
  }

  async clock(ref: RegRef): Promise<Timestamp | null> {
    return this.state(ref).st.lc?.ts ?? null;
  }

  openStore(ref: RegRef, blockSize: number, hash: BlockHashAlg): StoreSession {
    const chunks: Buffer[] = [];
    const hasher = new BlockHasher(blockSize, hash);
    let aborted = false;
    return {
      pending: 0,
      write: async (chunk) => {
        if (aborted) throw new Error('aborted');
        chunks.push(Buffer.from(chunk));
        hasher.update(chunk);
      },
      commit: async (msg: StoreCommit): Promise<StoreAck> => {
        if (aborted) throw new Error('aborted');
        const { reg, st } = this.state(ref);
        const blocks = hasher.finish();
        const existing = st.hist.get(tsKey(msg.ts));
        const v = judgeStore(this.keys, this.S, reg, msg, blocks, existing?.rec, hash);
        if (v.kind === 'reject') throw new Error(`store rejected: ${v.reason}`);
        const missing = (msg.parts ?? []).flatMap((p, i) => {
          const st = this.regs.get(regId(p.ns, p.key).toString('hex'));
          return st?.hist.has(tsKey(p.ts)) ? [] : [i];
        });
        if (missing.length) throw new NodeRefusedError(this.index, 409, MISSING_PARTS, JSON.stringify(missing));
        if (v.kind === 'accept') {
          const frag = Buffer.concat(chunks);
          st.hist.set(tsKey(msg.ts), {
            rec: { ts: msg.ts, nbar: msg.nbar, d: msg.d, vec: msg.vec, cc: msg.cc, meta: msg.meta, blocks, blockSize, fragLen: frag.length },
            frag,
            ...(msg.parts ? { parts: msg.parts } : {}),
          });
        }
        return { lc: st.lc?.ts ?? null };
      },
      abort: () => {
        aborted = true;
      },
    };
  }

  async storeWhole(ref: RegRef, blockSize: number, hash: BlockHashAlg, fragment: Buffer, msg: StoreCommit): Promise<StoreAck> {
    const s = this.openStore(ref, blockSize, hash);
    if (fragment.length > 0) await s.write(fragment);
    return s.commit(msg);
  }

  async storeFrom(ref: RegRef, blockSize: number, from: Timestamp, msg: StoreCommit): Promise<StoreAck> {
    const src = this.state(ref).st.hist.get(tsKey(from));
    const hash = src && listAlg(src.rec.cc[this.index]!, src.rec.blocks);
    if (!src || !hash) throw new NodeRefusedError(this.index, 409, MISSING_FRAGMENT);
    return this.storeWhole(ref, blockSize, hash, src.frag, msg);
  }

  async complete(ref: RegRef, c: Candidate): Promise<Timestamp | null> {
    const { reg, st } = this.state(ref);
    const newLc = judgeComplete(this.keys, reg, st.lc, c, st.hist.get(tsKey(c.ts))?.rec);
    if (newLc) st.lc = newLc;
    return st.lc?.ts ?? null;
  }

  async collect(ref: RegRef, readId: string): Promise<Candidate | null> {
    const { reg, st } = this.state(ref);
    this.pins.touch(readId, reg.toString('hex'), st.lc?.ts ?? null);
    return st.lc;
  }

  async filter(ref: RegRef, readId: string, C: readonly Candidate[], _signal?: AbortSignal, named?: string): Promise<FilterAnswer> {
    const { reg, st } = this.state(ref);
    const touched = this.pins.touch(readId, reg.toString('hex'), st.lc?.ts ?? null, named);
    if (touched.lapsed) return { ts: null, lapsed: true };
    const { floor, pin } = touched;
    const d = judgeFilter(this.keys, reg, st.lc, C, (ts) => st.hist.get(tsKey(ts))?.rec, floor);
    if (d.gone) return { ts: null, gone: st.lc!, pin };
    if (d.newLc) st.lc = d.newLc;
    if (!d.chv) return { ts: null, pin };
    this.pins.add(readId, reg.toString('hex'), d.chv.ts);
    if (!d.hist) return { ts: d.chv.ts, pin };
    return { ts: d.chv.ts, cc: d.hist.cc, meta: d.hist.meta, blocks: d.hist.blocks, pin };
  }

  async *readBlocks(ref: RegRef, ts: Timestamp, from: number, to: number, withList: boolean): AsyncIterable<Buffer> {
    const h = this.state(ref).st.hist.get(tsKey(ts));
    if (!h) throw new Error('no such history entry');
    if (withList) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(h.rec.blocks.length);
      yield len;
      yield h.rec.blocks;
    }
    const start = from * h.rec.blockSize;
    const end = Math.min((to + 1) * h.rec.blockSize, h.frag.length);
    yield h.frag.subarray(start, end);
  }

  async list(req: ListRequest): Promise<ListPage> {
    const entries = [...this.regs.values()]
      .filter((r) => r.ns === req.ns && r.lc && r.key.startsWith(req.prefix) && (req.after === null || Buffer.compare(Buffer.from(r.key), Buffer.from(req.after)) > 0))
      .filter((r) => !(req.skipPrefix && req.after !== null && r.key.startsWith(req.after)))
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    // Up to a count and a byte limit, as storage-node/src/handlers/rpc-handlers.ts handleList.
    const page: ListEntry[] = [];
    let weight = 0;
    for (const r of entries) {
      if (page.length === req.limit || weight >= LIST_PAGE_BYTES) break;
      const h = r.hist.get(tsKey(r.lc!.ts));
      page.push(h ? { key: r.key, lc: r.lc!, cc: h.rec.cc, meta: h.rec.meta } : { key: r.key, lc: r.lc! });
      weight += listEntryWeight(r.key, h?.rec.meta);
    }
    const truncated = entries.length > page.length;
    return { entries: page, truncated, ...(truncated && page.length < req.limit ? { byteLimited: true } : {}) };
  }

  async pin(ref: RegRef, readId: string, action: PinAction, ts: Timestamp | null): Promise<boolean> {
    const reg = regId(ref.ns, ref.key).toString('hex');
    if (action === 'release') {
      this.pins.release(readId, reg);
      return true;
    }
    return action === 'narrow' && ts ? this.pins.narrow(readId, reg, ts) : this.pins.renew(readId, reg);
  }

  /**
   * Garbage collection (DESIGN §4): drops history entries below lc that no
   * read pins and no other entry's value is made of. Returns how many went.
   */
  gc(): number {
    const referenced = new Set<string>();
    for (const st of this.regs.values()) {
      for (const h of st.hist.values()) for (const p of h.parts ?? []) referenced.add(`${regId(p.ns, p.key).toString('hex')}/${tsKey(p.ts)}`);
    }
    let dropped = 0;
    for (const [id, st] of this.regs) {
      for (const [k, h] of st.hist) {
        if (compareTs(h.rec.ts, st.lc?.ts ?? null) >= 0) continue;
        if (this.pins.covers(id, h.rec.ts) || referenced.has(`${id}/${k}`)) continue;
        st.hist.delete(k);
        dropped++;
      }
    }
    return dropped;
  }

  async entry(ref: RegRef, ts: Timestamp): Promise<StoreCommit | null> {
    const h = this.state(ref).st.hist.get(tsKey(ts))?.rec;
    return h ? { ts: h.ts, nbar: h.nbar, d: h.d, vec: h.vec, cc: h.cc, meta: h.meta } : null;
  }

  async health(): Promise<NodeHealth> {
    let hist = 0;
    for (const r of this.regs.values()) hist += r.hist.size;
    return { node: this.index, ok: true, registers: this.regs.size, histEntries: hist, bytes: 0, diskFreeBytes: 0, diskTotalBytes: 0 };
  }

  /** lc of a register, for assertions. */
  lcOf(ref: RegRef): Timestamp | null {
    return this.state(ref).st.lc?.ts ?? null;
  }

  /** Hist[ts] of a register: its block list and fragment (the bytes themselves: a test may corrupt them). */
  histOf(ref: RegRef, ts: Timestamp): { readonly blocks: Buffer; readonly frag: Buffer } | null {
    const h = this.state(ref).st.hist.get(tsKey(ts));
    return h ? { blocks: h.rec.blocks, frag: h.frag } : null;
  }

  /** Loses all state (a node restarted with an empty disk). */
  wipe(): void {
    this.regs.clear();
  }

  static newer(a: Timestamp | null, b: Timestamp | null): boolean {
    return compareTs(a, b) > 0;
  }
}
