// One streamed store request to one node (DESIGN §7): OPEN, DATA frames as
// the encoder produces shards, then COMMIT; the node's answer is the store
// ack. `pending` counts bytes handed to write() that undici has not yet
// pulled into the socket, which is what the encoder's backpressure and
// drop policy look at.
//
// write() resolves only once the session reads the chunk no more (the
// encoder then writes the next stripe over it: stripe-pool.ts). A chunk of
// IN_PLACE_MIN or more is sent in place: undici waits for the socket to
// drain after writing one that large (state.length reaches the socket's
// high-water mark, which undici sets to 64 KiB, 16 KiB over TLS:
// undici/lib/core/connect.js), so when the body moves past it the kernel
// holds every byte, or the socket is gone. A smaller chunk could still sit
// in the socket's queue then, so it is copied first.

import type { Readable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import type { RegRef, StoreAck, StoreSession } from '@powerstore/shared/node-api.js';
import type { BlockHashAlg } from '@powerstore/shared/erasure/block-hash.js';
import { STREAM_BODY } from '@powerstore/shared/node-auth.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeOpen, parseTsAnswer, PATHS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { commitBytes } from './encoded-once.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import { jsonBody, MAX_STORE_ANSWER, refusal } from './remote-node.js';

/** Chunks at least this large are sent without a copy (see above). */
const IN_PLACE_MIN = 64 * 1024;

interface Item {
  readonly bufs: Buffer[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export class HttpStoreSession implements StoreSession {
  private readonly queue: Item[] = [];
  private queued = 0;
  private closed = false;
  private failed: unknown = null;
  private wake: (() => void) | null = null;
  private readonly ctl = new AbortController();
  private readonly response: Promise<Dispatcher.ResponseData>;

  constructor(
    pool: Pool,
    private readonly node: number,
    ref: RegRef,
    blockSize: number,
    hash: BlockHashAlg,
    signal: AbortSignal,
    auth: (bodyHash: string) => Record<string, string>,
  ) {
    const onAbort = (): void => this.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const open = encodeOpen(ref, blockSize, { hash });
    this.response = pool.request({
      path: PATHS.store,
      method: 'POST',
      // undici takes an async iterable body (DispatchOptions.body) and awaits
      // socket drain between chunks; request()'s typings omit it.
      body: this.body(open) as unknown as Readable,
      signal: this.ctl.signal,
      headers: { 'content-type': 'application/octet-stream', ...auth(STREAM_BODY) },
    });
    this.response.then(
      (res) => {
        signal.removeEventListener('abort', onAbort);
        if (res.statusCode !== 200 && !this.closed) this.fail(new Error(`node ${node} answered ${res.statusCode} before commit`));
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        this.fail(err);
      },
    );
  }

  /** The request body: OPEN, then queued frames as undici pulls them, until closed. */
  private async *body(open: Buffer): AsyncGenerator<Buffer> {
    yield Buffer.concat([frameHeader(FRAME_OPEN, open.length), open]);
    for (;;) {
      const item = this.queue.shift();
      if (item) {
        this.queued -= item.bytes;
        for (const b of item.bufs) yield b;
        item.resolve();
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  get pending(): number {
    return this.queued;
  }

  write(chunk: Buffer): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('store session already committed'));
    return new Promise((resolve, reject) => {
      const sent = chunk.length >= IN_PLACE_MIN ? chunk : Buffer.from(chunk);
      this.queue.push({ bufs: [frameHeader(FRAME_DATA, chunk.length), sent], bytes: chunk.length, resolve, reject });
      this.queued += chunk.length;
      this.kick();
    });
  }

  async commit(msg: StoreCommit): Promise<StoreAck> {
    if (this.failed) throw this.failed;
    const json = commitBytes(msg);
    const sent = new Promise<void>((resolve, reject) => {
      this.queue.push({ bufs: [frameHeader(FRAME_COMMIT, json.length), json], bytes: 0, resolve, reject });
    });
    sent.catch(() => undefined);
    this.closed = true;
    this.kick();
    const res = await this.response;
    if (res.statusCode !== 200) throw await refusal(this.node, res);
    return { lc: parseTsAnswer(await jsonBody(res, MAX_STORE_ANSWER)) };
  }

  abort(): void {
    this.fail(new Error('store aborted'));
    this.ctl.abort();
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = err;
    for (const item of this.queue.splice(0)) item.reject(err);
    this.queued = 0;
    this.closed = true;
    this.kick();
  }

  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
