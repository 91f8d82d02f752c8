// Fault modes: a real storage node behaving Byzantine on purpose, for tests
// (DESIGN §12). Switched on per node with --fault MODE (repeatable or
// comma-separated), refused unless the node also has --allow-faults. Each
// mode changes only what the node answers or how it behaves on the wire;
// its stored state stays correct (`stale` keeps old state, `amnesia` loses
// it at start), so switching a mode off heals the node.
//
// The server calls these hooks, and nothing else of this module:
//   atStart(dir, keep)  before the store opens              (amnesia)
//   wrapStore(store)    the store every handler uses        (stale)
//   beforeAnswer(route) before handling a protocol request  (slow, silent, withhold)
//   answer(req, body)   each protocol answer, batched too   (the rewrites)
//   batch(body)         a whole batch answer                (garbage)
//   sendBatch(res, b)   writing a batch answer              (trickle)
//   blocks(chunk)       fragment bytes being served         (corrupt)
//   serveBlocks(src)    the stream of served block bytes    (drip)
//   missingParts(p, m)  a completing store's missing parts  (false-missing)
//   takesStore(ref)     a store's first frame was read      (false-missing)
// The rewrites themselves live in faults/*.ts, one family per file.

import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@powerstore/shared/errors.js';
import { PATHS } from '@powerstore/shared/protocol/wire/node-messages.js';
import type { AnswerForm } from '@powerstore/shared/protocol/wire/binary-answers.js';
import type { DiskStore } from './store/disk-store.js';
import {
  answerBytesOf, answerWireOf, corruptVec, emptyAnswer, flipLastBit, forgeTs, GARBAGE, GARBAGE_BATCH, inventTs, listAnswerOf, listWireOf, wrongCc,
  type CandAnswer, type FilterWire, type ListWire, type TsAnswer,
} from './faults/answers.js';
import { forgetEverything, frozenStore } from './faults/disk.js';
import { LIST_LIES, lieAboutPage } from './faults/listing.js';
import { FirstSeen } from './faults/replay.js';
import { dripBytes, trickleOut } from './faults/pace.js';
import { ClaimedMissing } from './faults/parts.js';

export const FAULT_MODES = [
  /** Reads every request, never answers a protocol request (socket left open); /healthz and /metrics still answer. */
  'silent',
  /** Waits --fault-delay-ms (default 200) before handling every protocol request. */
  'slow',
  /** Flips a bit in every fragment block it serves, and in fragments sent inline in filter answers. */
  'corrupt',
  /** Corrupts t entries of the vec of every candidate it reports in collect (still authentic: gateways re-sign). */
  'corrupt-vec',
  /** Reports cc[0] changed in filter answers and listing entries, so the description fails D. */
  'wrong-cc',
  /** Keeps the state it started with: acks stores, completes and write-backs without keeping anything. */
  'stale',
  /** Answers collect and listing entries with the oldest valid candidate it saw since start. */
  'replay',
  /** Clock answers and store acks report a made-up ts (num + 1000, random tag); collect answers lc with such a ts (tag and vec fail). */
  'forge',
  /** Honest to requests on odd-numbered connections, "knows nothing" (null, empty) on even-numbered ones. */
  'equivocate',
  /** Every register-protocol answer does not parse (not JSON, nor a list answer); every batch answer does not decode. Served blocks are left alone. */
  'garbage',
  /** Listing pages lie, rotating per request: an invented key, every other key hidden, cc/meta dropped. */
  'list-lie',
  /** Empties its data folder at every start (before the store opens). */
  'amnesia',
  /** Serves block data one byte at a time, each after --fault-delay-ms (the block-hash list comes whole). */
  'drip',
  /** Answers every metadata round truthfully, never serves block data: block requests hang, filter answers carry no inline fragment. */
  'withhold',
  /** Refuses every completing store (one naming parts) as missing all its parts, and never takes the heal: a store of such a part stops being read after its first frame. */
  'false-missing',
  /** Writes every batch answer one byte at a time, each after --fault-delay-ms. */
  'trickle',
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export const DEFAULT_FAULT_DELAY_MS = 200;

/** What the server tells the hooks about one protocol message. */
export interface FaultRequest {
  readonly route: string;
  /** The parsed JSON request; undefined for a store (framed, not JSON). */
  readonly json: unknown;
  /** The TCP connection it came on: equivocate picks its audience by it. */
  readonly socket: object;
  /** How its answer is encoded (binary-answers.ts); JSON when absent. */
  readonly form?: AnswerForm;
}

/**
 * The register protocol's routes: the only answers rewritten. Others (health,
 * key delivery) are answered honestly, except inside a garbage batch.
 */
const REGISTER_ROUTES = new Set<string>([PATHS.clock, PATHS.store, PATHS.complete, PATHS.collect, PATHS.filter, PATHS.list]);

/** Modes that rewrite JSON answers (the others leave answer bodies alone). */
const REWRITING: readonly FaultMode[] = ['corrupt', 'corrupt-vec', 'wrong-cc', 'replay', 'forge', 'equivocate', 'list-lie', 'withhold'];

export class Faults {
  private readonly firstSeen = new FirstSeen();
  private readonly claimed = new ClaimedMissing();
  /**
   * equivocate's audiences: connections numbered 1, 2, 3, … in the order
   * their first request arrived. Gateways do not identify themselves; a
   * connection is the one stable thing each request shows, and one gateway
   * pools many, so one gateway sees both views too (as two gateways would).
   */
  private readonly connections = new WeakMap<object, number>();
  private connectionCount = 0;
  private listRequests = 0;
  private readonly rewrites: boolean;

  constructor(
    readonly modes: ReadonlySet<FaultMode>,
    private readonly index: number,
    private readonly S: number,
    private readonly t: number,
    readonly delayMs = DEFAULT_FAULT_DELAY_MS,
  ) {
    this.rewrites = REWRITING.some((m) => modes.has(m));
  }

  static parse(values: readonly string[], allowed: boolean, index: number, S: number, t: number, delayMs = DEFAULT_FAULT_DELAY_MS): Faults {
    if (values.length > 0 && !allowed) throw new ConfigError('--fault needs --allow-faults (fault modes make this node lie on purpose)');
    const modes = new Set<FaultMode>();
    for (const v of values.flatMap((x) => x.split(','))) {
      if (!(FAULT_MODES as readonly string[]).includes(v)) throw new ConfigError(`unknown fault mode "${v}" (known: ${FAULT_MODES.join(', ')})`);
      modes.add(v as FaultMode);
    }
    return new Faults(modes, index, S, t, delayMs);
  }

  get any(): boolean {
    return this.modes.size > 0;
  }

  /**
   * Start-up, before the store opens: amnesia empties the data folder but
   * for `keep` (the node's own keys: a replaced disk is re-provisioned with
   * its credentials; what it forgets is protocol state).
   */
  atStart(dataDir: string, keep: readonly string[] = []): void {
    if (this.modes.has('amnesia')) forgetEverything(dataDir, keep);
  }

  /** The store the handlers use: stale freezes it (writes acked, nothing kept). */
  wrapStore(store: DiskStore): DiskStore {
    return this.modes.has('stale') ? frozenStore(store) : store;
  }

  /**
   * Called before a protocol request is handled. false: never answer it
   * (silent: the server reads the request and leaves the socket open;
   * withhold: the same for block requests only). slow: resolves after the
   * delay.
   */
  async beforeAnswer(route: string): Promise<boolean> {
    if (this.modes.has('silent')) return false;
    if (this.modes.has('withhold') && route === PATHS.blocks) return false;
    if (this.modes.has('slow')) await sleep(this.delayMs);
    return true;
  }

  /** Rewrites the answer of one register-protocol message before it is sent. */
  answer(req: FaultRequest, body: Buffer): Buffer {
    if (!REGISTER_ROUTES.has(req.route)) return body;
    if (this.modes.has('garbage')) return GARBAGE;
    if (!this.rewrites) return body;
    const list = req.route === PATHS.list;
    const form = req.form ?? 'json';
    const j = list ? listWireOf(body, this.S) : answerWireOf(req.route, body, form, this.S);
    if (this.modes.has('replay')) this.firstSeen.observe(req.route, req.json, j);
    if (this.modes.has('equivocate') && this.connection(req.socket) % 2 === 0) {
      const empty = emptyAnswer(req.route);
      return list ? listAnswerOf(empty as ListWire) : answerBytesOf(req.route, empty, form, this.S);
    }
    switch (req.route) {
      case PATHS.clock: this.tsAnswer(j as TsAnswer); break;
      // A store ack's lc is what tells a write that skipped clock its guess or hint was stale.
      case PATHS.store: this.tsAnswer(j as TsAnswer); break;
      case PATHS.collect: this.collect(req.json as { ns: string; key: string }, j as CandAnswer); break;
      case PATHS.filter: this.filter(j as FilterWire); break;
      case PATHS.list: return listAnswerOf(this.list(req.json as { ns: string; limit: number }, j as ListWire));
    }
    return answerBytesOf(req.route, j, form, this.S);
  }

  /** Rewrites a whole batch answer (after every entry went through `answer`). */
  batch(body: Buffer): Buffer {
    return this.modes.has('garbage') ? GARBAGE_BATCH : body;
  }

  /**
   * Writes a whole batch answer: at once, or (trickle) a byte at a time,
   * each after the delay, until done or the gateway hangs up.
   */
  async sendBatch(res: ServerResponse, body: Buffer): Promise<void> {
    if (this.modes.has('trickle')) await trickleOut(res, body, this.delayMs);
    else res.end(body);
  }

  /** Rewrites fragment bytes being served. */
  blocks(chunk: Buffer): Buffer {
    return this.modes.has('corrupt') ? flipLastBit(chunk) : chunk;
  }

  /** The served block bytes as they go out: as they come, or (drip) one byte per delay. */
  serveBlocks(src: Iterable<Buffer> | AsyncIterable<Buffer>): Iterable<Buffer> | AsyncIterable<Buffer> {
    return this.modes.has('drip') ? dripBytes(src, this.delayMs) : src;
  }

  /**
   * The parts a completing store is refused for: those the node lacks, or
   * (false-missing) every one, remembered so their heals are never taken.
   */
  missingParts(parts: readonly { ns: string; key: string }[], lacking: readonly number[]): readonly number[] {
    if (!this.modes.has('false-missing') || parts.length === 0) return lacking;
    for (const p of parts) this.claimed.add(p.ns, p.key);
    return parts.map((_, i) => i);
  }

  /**
   * Called once a store's first frame names its register. false: read no
   * further and never answer (false-missing: a store of a part register it
   * claimed to lack, i.e. the gateway's heal, and also a later retire of
   * that part; the socket stays open until the idle timeout). A batched
   * such store holds its whole batch unanswered, as silent would.
   */
  takesStore(ref: { ns: string; key: string }): boolean {
    return !(this.modes.has('false-missing') && this.claimed.has(ref.ns, ref.key));
  }

  private connection(socket: object): number {
    let n = this.connections.get(socket);
    if (n === undefined) this.connections.set(socket, (n = ++this.connectionCount));
    return n;
  }

  private tsAnswer(a: TsAnswer): void {
    if (this.modes.has('forge')) a.lc = a.lc ? forgeTs(a.lc) : inventTs();
  }

  private collect(req: { ns: string; key: string }, a: CandAnswer): void {
    if (!a.lc) return;
    if (this.modes.has('replay')) a.lc = this.firstSeen.replay(req.ns, req.key, a.lc);
    if (this.modes.has('forge')) a.lc = { ...a.lc, ts: forgeTs(a.lc.ts) };
    if (this.modes.has('corrupt-vec')) a.lc = { ...a.lc, vec: corruptVec(a.lc.vec, this.index, this.S, this.t) };
  }

  private filter(a: FilterWire): void {
    if (this.modes.has('wrong-cc') && a.cc) a.cc = wrongCc(a.cc);
    if (this.modes.has('corrupt') && a.fragment) a.fragment = flipLastBit(Buffer.from(a.fragment, 'base64')).toString('base64');
    // withhold: a small object's fragment is block data too.
    if (this.modes.has('withhold')) delete a.fragment;
  }

  private list(req: { ns: string; limit: number }, page: ListWire): ListWire {
    let p = page;
    if (this.modes.has('replay')) {
      // An old candidate with the current cc/meta would not hash to its D
      // (evidence): a replayed entry comes without a description.
      p = {
        ...p,
        entries: p.entries.map((e) => {
          const lc = this.firstSeen.replay(req.ns, e.key, e.lc);
          return lc === e.lc ? e : { key: e.key, lc };
        }),
      };
    }
    if (this.modes.has('wrong-cc')) p = { ...p, entries: p.entries.map((e) => (e.cc ? { ...e, cc: wrongCc(e.cc) } : e)) };
    if (this.modes.has('list-lie')) p = lieAboutPage(p, LIST_LIES[this.listRequests++ % LIST_LIES.length]!, req.limit);
    return p;
  }
}
