// The gateway's client for one remote storage node (NodeApi over HTTP). Batch
// requests, the small operations' path, go through batch-client.ts; the rest
// (streamed uploads, block reads, whole large fragments, entries) through
// undici, measured cheaper than node:http as a client (FACTS.md). Every
// request is signed with the node's key; every answer is parsed strictly
// (a parse failure is a WireError: evidence against the node).

import type { ListEntryCache } from '@powerstore/shared/protocol/wire/list-entry-cache.js';
import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { hash as oneShotHash } from 'node:crypto';
import { NodeRefusedError } from '@powerstore/shared/errors.js';
import { readLimited } from '@powerstore/shared/http-body.js';
import type { WriterKeyring } from '@powerstore/shared/keys.js';
import type { ListPage, ListRequest, NodeApi, NodeHealth, PinAction, RegRef, StoreAck, StoreSession } from '@powerstore/shared/node-api.js';
import type { BlockHashAlg } from '@powerstore/shared/erasure/block-hash.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest, STREAM_BODY } from '@powerstore/shared/node-auth.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import type { FilterAnswer } from '@powerstore/shared/protocol/client.js';
import {
  encodeBlocksReq, encodeEntryReq, encodeFilterReq, parseEntryAnswer, encodeOpen, encodePinReq, encodeRefBody, encodeReleasesReq, MAX_JSON_BODY, parsePinAnswer,
  parseHealth, parseTsAnswer, PATHS,
} from '@powerstore/shared/protocol/wire/node-messages.js';
import { parseCandAnswerBinary, parseFilterAnswerBinary, parseTsAnswerBinary } from '@powerstore/shared/protocol/wire/binary-answers.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { WireError } from '@powerstore/shared/protocol/wire/wire.js';
import { parseListAnswer } from '@powerstore/shared/protocol/wire/list-answer.js';
import { HttpStoreSession } from './store-session.js';
import { commitBytes, completeBytes } from './encoded-once.js';
import { refusalBody, RpcBatcher } from './rpc-batcher.js';
import { PinReleases } from './pin-releases.js';
import { BATCH_PATH, decodeAnswers, encodeBatch, type BatchAnswer, type BatchEntry, type BatchRoute } from '@powerstore/shared/protocol/wire/batch.js';
import { AnswerBudget, MAX_BATCH_ANSWER } from './answer-budget.js';
import { BatchClient, type BodySink } from './batch-client.js';
import { maxCommitBytes } from '@powerstore/shared/protocol/wire/sizes.js';
import { withDeadline } from '@powerstore/shared/deadline.js';

/** Fragments up to this size travel inside a batch; larger ones in their own request. */
const BATCHED_FRAGMENT_MAX = 16 * 1024;

/** Largest answer to a store (its node's lc.ts: well under a kilobyte). */
export const MAX_STORE_ANSWER = 64 * 1024;

export interface RemoteNodeOptions {
  readonly index: number;
  readonly url: string;
  readonly keys: WriterKeyring;
  readonly S: number;
  /** Upper bound on any single request's life (stragglers end by then). */
  readonly requestTimeoutMs: number;
  /** PEM CA certificate(s) an https:// node's certificate must chain to (instead of the system's). */
  readonly ca?: Buffer;
  /** Connections for upload streams (default 256), apart from the RPC pool's 256. */
  readonly streamConnections?: number;
  /** Answer bytes buffered from this node at once (default NODE_ANSWER_BUDGET). */
  readonly answerBudget?: number;
}

export class RemoteNode implements NodeApi {
  readonly index: number;
  readonly url: string;
  private readonly pool: Pool;
  /**
   * Streamed stores (openStore) get their own connections: a store stream
   * lives as long as its client's upload, so slow uploads could otherwise
   * hold every connection that clock, collect, filter, complete and blocks
   * need (review F3).
   */
  private readonly streams: Pool;
  /** Batch requests' connections (batch-client.ts), apart from both pools. */
  private readonly batches: BatchClient;
  private readonly batcher: RpcBatcher;
  /** Answer bytes being read from this node, bounded (finding 11). */
  private readonly answers: AnswerBudget;
  /** Releases wait a little and go to the node together (pin-releases.ts). */
  private readonly releases: PinReleases;

  constructor(private readonly o: RemoteNodeOptions) {
    this.index = o.index;
    this.url = o.url;
    this.answers = new AnswerBudget(o.index, o.answerBudget);
    this.batcher = new RpcBatcher(o.index, (entries, signal) => this.sendBatch(entries, signal));
    const never = new AbortController().signal;
    this.releases = new PinReleases(async (rs) => parsePinAnswer(await this.call(PATHS.pin, encodeReleasesReq(rs), never, true)));
    const poolOptions = {
      keepAliveTimeout: 30_000,
      headersTimeout: o.requestTimeoutMs,
      bodyTimeout: o.requestTimeoutMs,
      // Both pools: upload streams go over TLS like every other call.
      ...(o.ca ? { connect: { ca: o.ca } } : {}),
    };
    this.pool = new Pool(o.url, { connections: 256, ...poolOptions });
    this.streams = new Pool(o.url, { connections: o.streamConnections ?? 256, ...poolOptions });
    this.batches = new BatchClient(o.url, { maxConnections: 256, ...(o.ca ? { ca: o.ca } : {}) });
  }

  /** Signed headers for one request to this node. */
  authHeaders(path: string, bodyHash: string): Record<string, string> {
    const epoch = this.o.keys.currentEpoch;
    const key = this.o.keys.nodeKey(epoch, this.index);
    if (!key) throw new Error(`no key for node ${this.index}`);
    return { [AUTH_HEADER]: signRequest(key, epoch, 'POST', path, bodyHash), [BODY_HASH_HEADER]: bodyHash };
  }

  private async rawCall(path: string, body: Buffer, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const hash = oneShotHash('sha256', body, 'hex');
    const res = await this.pool.request({
      path, method: 'POST', body, signal,
      headers: { 'content-type': 'application/json', ...this.authHeaders(path, hash) },
    });
    if (res.statusCode !== 200) throw await refusal(this.index, res);
    return res;
  }

  /** A protocol message, sent in the next batch to this node (`lazy`: see rpc-batcher.ts); its JSON answer. */
  private async call(path: BatchRoute, body: Buffer, signal: AbortSignal, lazy = false): Promise<unknown> {
    return parseJson(await this.batcher.call(path, body, signal, false, lazy));
  }

  /**
   * A protocol message whose answer comes in its binary form (binary-answers.ts:
   * clock, store, complete, collect, filter); as JSON, the answers to collect
   * and filter were the gateway's largest allocation site (issue 11).
   */
  private binaryCall(path: BatchRoute, body: Buffer, signal: AbortSignal): Promise<Buffer> {
    return this.batcher.call(path, body, signal, true);
  }

  /**
   * One batch request, cut when `signal` aborts (its callers have all gone)
   * or at requestTimeoutMs in all, however its answer trickles in (a node may
   * send it a byte at a time).
   */
  private async sendBatch(entries: readonly BatchEntry[], signal: AbortSignal): Promise<BatchAnswer[]> {
    const deadline = withDeadline(signal, this.o.requestTimeoutMs);
    let refused = 0;
    try {
      const body = encodeBatch(entries);
      const headers = { 'content-type': 'application/octet-stream', ...this.authHeaders(BATCH_PATH, oneShotHash('sha256', body, 'hex')) };
      const sinkFor = (status: number): BodySink => {
        if (status === 200) return this.answers.sink(MAX_BATCH_ANSWER);
        refused = status;
        return new AnswerBudget(this.index, MAX_JSON_BODY).sink(MAX_JSON_BODY);
      };
      const a = await this.batches.post(BATCH_PATH, headers, body, sinkFor, deadline.signal);
      if (a.status !== 200) {
        const { code, message } = refusalBody(a.body);
        throw new NodeRefusedError(this.index, a.status, code, message);
      }
      return decodeAnswers(a.body, entries.length);
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'BodyTooLargeError') throw e;
      // A refusal too long to read is a refusal still (never evidence); an answer too long is evidence.
      throw refused ? new NodeRefusedError(this.index, refused, 'error') : new WireError('batch answer too large');
    } finally {
      deadline.release();
    }
  }

  async clock(ref: RegRef, signal: AbortSignal): Promise<Timestamp | null> {
    return parseTsAnswerBinary(await this.binaryCall(PATHS.clock, encodeRefBody(ref), signal));
  }

  openStore(ref: RegRef, blockSize: number, hash: BlockHashAlg, signal: AbortSignal): StoreSession {
    return new HttpStoreSession(this.streams, this.index, ref, blockSize, hash, signal, (bodyHash) => this.authHeaders(PATHS.store, bodyHash));
  }

  async storeWhole(ref: RegRef, blockSize: number, hash: BlockHashAlg, fragment: Buffer, msg: StoreCommit, signal: AbortSignal): Promise<StoreAck> {
    const open = encodeOpen(ref, blockSize, { hash });
    const commit = commitBytes(msg);
    const before = [frameHeader(FRAME_OPEN, open.length), open];
    if (fragment.length > 0) before.push(frameHeader(FRAME_DATA, fragment.length));
    const after = [frameHeader(FRAME_COMMIT, commit.length), commit];
    if (fragment.length <= BATCHED_FRAGMENT_MAX) return { lc: parseTsAnswerBinary(await this.binaryCall(PATHS.store, Buffer.concat([...before, fragment, ...after]), signal)) };
    const head = Buffer.concat(before);
    const tail = Buffer.concat(after);
    // A larger fragment goes in its own request, written as it is (no copy)
    // between the small frames, and not hashed for the request MAC: like a
    // streamed store, its content is authenticated by the store message
    // itself. Its length is known, so the body goes with a content-length:
    // three writes, where chunked encoding made six, each with its framing.
    const res = await this.pool.request({
      path: PATHS.store, method: 'POST', signal,
      body: (async function* () { yield head; yield fragment; yield tail; })() as unknown as Readable,
      headers: {
        'content-type': 'application/octet-stream', 'content-length': String(head.length + fragment.length + tail.length),
        ...this.authHeaders(PATHS.store, STREAM_BODY),
      },
    });
    if (res.statusCode !== 200) throw await refusal(this.index, res);
    return { lc: parseTsAnswer(await jsonBody(res, MAX_STORE_ANSWER)) };
  }

  async storeFrom(ref: RegRef, blockSize: number, from: Timestamp, msg: StoreCommit, signal: AbortSignal): Promise<StoreAck> {
    const open = encodeOpen(ref, blockSize, { from });
    const commit = commitBytes(msg);
    const body = Buffer.concat([frameHeader(FRAME_OPEN, open.length), open, frameHeader(FRAME_COMMIT, commit.length), commit]);
    return { lc: parseTsAnswerBinary(await this.binaryCall(PATHS.store, body, signal)) };
  }

  async complete(ref: RegRef, c: Candidate, signal: AbortSignal): Promise<Timestamp | null> {
    return parseTsAnswerBinary(await this.binaryCall(PATHS.complete, completeBytes(ref, c), signal));
  }

  async collect(ref: RegRef, readId: string, signal: AbortSignal): Promise<Candidate | null> {
    return parseCandAnswerBinary(await this.binaryCall(PATHS.collect, encodeRefBody(ref, { readId }), signal), this.o.S);
  }

  async filter(ref: RegRef, readId: string, C: readonly Candidate[], signal: AbortSignal, pin?: string): Promise<FilterAnswer> {
    return parseFilterAnswerBinary(await this.binaryCall(PATHS.filter, encodeFilterReq(ref, readId, C, pin), signal), this.o.S);
  }

  async entry(ref: RegRef, ts: Timestamp, signal: AbortSignal): Promise<StoreCommit | null> {
    // A store message: at most the largest commit (sizes.ts), read within this node's answer budget.
    const res = await this.rawCall(PATHS.entry, encodeEntryReq({ ref, ts }), signal);
    const body = await this.answers.read(res.body, maxCommitBytes(this.o.S)).catch((e: unknown) => {
      res.body.destroy();
      throw e instanceof Error && e.name === 'BodyTooLargeError' ? new WireError('entry answer too large') : e;
    });
    return parseEntryAnswer(parseJson(body), this.o.S);
  }

  async *readBlocks(ref: RegRef, ts: Timestamp, from: number, to: number, withList: boolean, signal: AbortSignal): AsyncIterable<Buffer> {
    const res = await this.rawCall(PATHS.blocks, encodeBlocksReq({ ref, ts, from, to, withList }), signal);
    try {
      for await (const chunk of res.body) yield chunk as Buffer;
    } finally {
      res.body.destroy();
    }
  }

  async list(req: ListRequest, signal: AbortSignal, entries?: ListEntryCache): Promise<ListPage> {
    const body = Buffer.from(JSON.stringify(req));
    // The one answer in bytes, not JSON (list-answer.ts).
    return parseListAnswer(await this.batcher.call(PATHS.list, body, signal), this.o.S, entries);
  }

  /**
   * A release goes with others (pin-releases.ts), and is not abandoned: `signal` is not its.
   * Every pin message is lazy (rpc-batcher.ts): no read waits on one to go on.
   */
  async pin(ref: RegRef, readId: string, action: PinAction, ts: Timestamp | null, signal: AbortSignal): Promise<boolean> {
    if (action === 'release') return this.releases.add({ ref, readId });
    return parsePinAnswer(await this.call(PATHS.pin, encodePinReq({ ref, readId, action, ts }), signal, true));
  }

  async health(signal: AbortSignal): Promise<NodeHealth> {
    return parseHealth(await this.call(PATHS.health, Buffer.from('{}'), signal));
  }

  async close(): Promise<void> {
    // Releases still waiting go first: the node's pins need not wait out their lease.
    await this.releases.flush()?.catch(() => undefined);
    await Promise.all([this.pool.close(), this.streams.close(), this.batches.close()]);
  }
}

/** A node's JSON answer of at most `max` bytes; anything else is a WireError (evidence). */
export async function jsonBody(res: Dispatcher.ResponseData, max: number): Promise<unknown> {
  const text = await readLimited(res.body, max).catch((e: unknown) => {
    throw e instanceof Error && e.name === 'BodyTooLargeError' ? new WireError('answer too large') : e;
  });
  return parseJson(text);
}

function parseJson(text: Buffer): unknown {
  try {
    return JSON.parse(text.toString('utf8'));
  } catch {
    throw new WireError('answer is not JSON');
  }
}

/** A non-200 answer: a refusal (never evidence by itself). */
export async function refusal(node: number, res: Dispatcher.ResponseData): Promise<NodeRefusedError> {
  try {
    const { code, message } = refusalBody(await readLimited(res.body, MAX_JSON_BODY));
    return new NodeRefusedError(node, res.statusCode, code, message);
  } catch {
    res.body.destroy();
    return new NodeRefusedError(node, res.statusCode, 'error');
  }
}
