// The one narrow interface of a storage node as the gateway sees it
// (STYLE.md §6). Implemented by the gateway's HTTP client for a remote node,
// by simulated (and Byzantine) nodes in tests, and by decorators. Every
// method may reject: network trouble, timeouts, a node's refusal, or a
// WireError for an answer that does not parse (evidence).

import type { Candidate } from './protocol/candidate.js';
import type { FilterAnswer } from './protocol/client.js';
import type { ListEntryCache } from './protocol/wire/list-entry-cache.js';
import type { StoreCommit } from './protocol/server.js';
import type { Timestamp } from './protocol/timestamp.js';
import type { BlockHashAlg } from './erasure/block-hash.js';

/** A register named by namespace and key; the node derives reg itself. */
export interface RegRef {
  readonly ns: string;
  readonly key: string;
}

export interface StoreAck {
  /** The node's lc.ts after the store, for clock-hint staleness checks. */
  readonly lc: Timestamp | null;
}

/** One streamed store: fragment bytes first, then the store message. */
export interface StoreSession {
  /**
   * Sends fragment bytes; resolves once the node has taken them (backpressure)
   * and the session reads `chunk` no more: the caller may then write over it
   * (stripe-pool.ts). A rejected write promises nothing of the kind.
   */
  write(chunk: Buffer): Promise<void>;
  /** Bytes handed to write() that the node has not taken yet. */
  readonly pending: number;
  /** Sends the store message and waits for the node's durable ack. */
  commit(msg: StoreCommit): Promise<StoreAck>;
  /** Gives up: the node discards what it staged. */
  abort(): void;
}

export type PinAction = 'renew' | 'narrow' | 'release';

export interface ListRequest {
  readonly ns: string;
  readonly prefix: string;
  /** Exclusive lower bound on keys, or null to start at the prefix. */
  readonly after: string | null;
  /** Also skip every key that starts with `after` (a CommonPrefix already emitted). */
  readonly skipPrefix: boolean;
  readonly limit: number;
}

export interface ListEntry {
  readonly key: string;
  readonly lc: Candidate;
  /** Present when the node holds Hist[lc.ts]. */
  readonly cc?: readonly Buffer[];
  readonly meta?: Buffer;
}

export interface ListPage {
  readonly entries: readonly ListEntry[];
  readonly truncated: boolean;
  /**
   * The node stopped at its byte limit (sizes.ts LIST_PAGE_BYTES), not its
   * count: the page is short but full, and must weigh at least that much.
   */
  readonly byteLimited?: boolean;
}

export interface NodeHealth {
  readonly node: number;
  readonly ok: boolean;
  readonly registers: number;
  readonly histEntries: number;
  /** Fragment bytes the node holds, and its disk's free and total bytes (0 when it does not say). */
  readonly bytes: number;
  readonly diskFreeBytes: number;
  readonly diskTotalBytes: number;
}

export interface NodeApi {
  readonly index: number;
  clock(reg: RegRef, signal: AbortSignal): Promise<Timestamp | null>;
  /** `hash`: what the node hashes the fragment's blocks with (block-hash.ts), the one cc[i] commits to. */
  openStore(reg: RegRef, blockSize: number, hash: BlockHashAlg, signal: AbortSignal): StoreSession;
  /**
   * A store whose whole fragment is known: data and store message in one
   * request. Once it resolves, `fragment` is read no more (the caller may
   * write over it); a rejection promises nothing of the kind.
   */
  storeWhole(reg: RegRef, blockSize: number, hash: BlockHashAlg, fragment: Buffer, msg: StoreCommit, signal: AbortSignal): Promise<StoreAck>;
  /**
   * A store whose fragment is the one the node holds for write `from` of the
   * same register (a write stored again under a new ts). Refused with
   * missing-fragment when the node does not hold it.
   */
  storeFrom(reg: RegRef, blockSize: number, from: Timestamp, msg: StoreCommit, signal: AbortSignal): Promise<StoreAck>;
  /** complete, and every other write-back of one candidate; answers lc.ts afterwards. */
  complete(reg: RegRef, c: Candidate, signal: AbortSignal): Promise<Timestamp | null>;
  collect(reg: RegRef, readId: string, signal: AbortSignal): Promise<Candidate | null>;
  /**
   * `pin` names the pin this node gave the read in an earlier answer: if the
   * node no longer holds it, it answers `lapsed` (DESIGN §6) instead of
   * pinning afresh.
   */
  filter(reg: RegRef, readId: string, C: readonly Candidate[], signal: AbortSignal, pin?: string): Promise<FilterAnswer>;
  /**
   * Raw bytes of blocks [from, to] of this node's fragment of write `ts`.
   * With `withList`, the stream starts with the node's whole block-hash list
   * (u32 length, then the list) so a node not yet proven can serve.
   */
  readBlocks(reg: RegRef, ts: Timestamp, from: number, to: number, withList: boolean, signal: AbortSignal): AsyncIterable<Buffer>;
  /**
   * `entries`: where a gateway's parser may find entries it parsed from the
   * other pages of the same listing (list-entry-cache.ts); only a gateway's
   * remote node uses it.
   */
  list(req: ListRequest, signal: AbortSignal, entries?: ListEntryCache): Promise<ListPage>;
  /**
   * A read's pin at this node (DESIGN §6): renew its lease, narrow it to the
   * chosen write, or release it. Answers false when the pin lapsed. A
   * release may wait a few milliseconds to go with others, and is not
   * abandoned when `signal` aborts (nothing waits for it).
   */
  pin(reg: RegRef, readId: string, action: PinAction, ts: Timestamp | null, signal: AbortSignal): Promise<boolean>;
  health(signal: AbortSignal): Promise<NodeHealth>;
  /**
   * The store message of one history entry this node holds (null: none),
   * for re-sending it to a node that lost it. Never trusted: the caller
   * authenticates it (healing.ts).
   */
  entry(reg: RegRef, ts: Timestamp, signal: AbortSignal): Promise<StoreCommit | null>;
}
