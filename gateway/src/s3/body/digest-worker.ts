// MD5 (and the SHA-256/SHA-1/CRC a request needs) computed off the main
// thread. MD5 is the costliest per-byte step of an upload (~1.45 ms/MB, no
// hardware help) and the table-driven CRC32C/CRC64NVME are not cheap either
// (~1.4 and ~3.4 ms/MB in JS); a worker hashes while the main thread decodes,
// verifies chunk signatures and erasure-codes. One small pool serves all requests.
//
// Contract of a job: update() copies the caller's bytes at once (the caller's
// buffer is never transferred or retained) and resolves when the job's
// backlog in the worker is under HIGH_WATER, so memory per request is bounded
// by BATCH + HIGH_WATER + one chunk. digest() settles exactly once; cancel()
// releases everything on both sides and settles pending waiters.
//
// Batch buffers make a round trip: filled here, transferred to the worker,
// hashed, transferred back with the ack and reused. A fresh buffer per batch
// would leave the bytes of every upload as garbage in two heaps, and V8 only
// collects external memory every ~64 MB: tens of megabytes of peak RSS for
// nothing (measured with the 2 GiB memory test).

import { Worker } from 'node:worker_threads';
import { type Checksum, type DigestAlg, createDigest } from './checksums.js';
import type { DigestReply, DigestRequest } from './digest-protocol.js';

export type { DigestAlg } from './checksums.js';

export interface DigestJob<A extends DigestAlg> {
  /** Adds bytes (copied before returning). Await it: it is the backpressure. */
  update(chunk: Uint8Array): Promise<void>;
  /** The digests; rejects if the job was cancelled or its worker died. */
  digest(): Promise<Record<A, Buffer>>;
  /** Abandons the job; idempotent; a no-op after digest() settled. */
  cancel(): void;
}

export interface Digester {
  start<A extends DigestAlg>(algs: readonly A[]): DigestJob<A>;
}

/** Bytes gathered before one postMessage: fewer, larger messages. */
const BATCH = 256 * 1024;
/** Bytes of one job posted but not yet hashed above which update() waits. */
const HIGH_WATER = 4 * 1024 * 1024;

/** Returned batch buffers kept for reuse, at most (16 × BATCH = 4 MiB). */
const SPARE_BATCHES = 16;

interface PoolWorker {
  readonly worker: Worker;
  readonly jobs: Map<number, WorkerJob<DigestAlg>>;
  /** Batch buffers the worker gave back. */
  readonly spare: Buffer[];
}

class WorkerJob<A extends DigestAlg> implements DigestJob<A> {
  #batch: Buffer | undefined;
  #batchLen = 0;
  #inFlight = 0;
  #drained: (() => void)[] = [];
  #settle: { resolve: (d: Record<A, Buffer>) => void; reject: (e: Error) => void } | undefined;
  #finished = false;
  /** Why the job ended early, for a digest() asked after the fact. */
  #failure: Error | undefined;

  constructor(
    readonly id: number,
    private readonly pw: PoolWorker,
    private readonly onEnd: (id: number) => void,
  ) {}

  #post(m: DigestRequest, transfer?: ArrayBuffer[]): void {
    this.pw.worker.postMessage(m, transfer);
  }

  #flush(): void {
    if (!this.#batch || this.#batchLen === 0) return;
    this.#send(new Uint8Array(this.#batch.buffer, this.#batch.byteOffset, this.#batchLen));
    this.#batch = undefined;
    this.#batchLen = 0;
  }

  /** Posts `view`, transferring its ArrayBuffer: it must be a private copy owned by this job. */
  #send(view: Uint8Array): void {
    this.#inFlight += view.byteLength;
    this.#post({ t: 'update', id: this.id, data: view }, [view.buffer as ArrayBuffer]);
  }

  update(chunk: Uint8Array): Promise<void> {
    if (this.#finished || chunk.byteLength === 0) return Promise.resolve();
    for (let at = 0; at < chunk.byteLength;) {
      this.#batch ??= this.pw.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH);
      const n = Math.min(BATCH - this.#batchLen, chunk.byteLength - at);
      this.#batch.set(chunk.subarray(at, at + n), this.#batchLen);
      this.#batchLen += n;
      at += n;
      if (this.#batchLen === BATCH) this.#flush();
    }
    if (this.#inFlight <= HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  digest(): Promise<Record<A, Buffer>> {
    if (this.#finished || this.#settle) return Promise.reject(this.#failure ?? new Error('digest job already finished'));
    this.#flush();
    return new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#post({ t: 'digest', id: this.id });
    });
  }

  cancel(): void {
    if (this.#finished) return;
    this.#post({ t: 'cancel', id: this.id });
    this.#end(new Error('digest job cancelled'));
  }

  /** Called by the pool for each reply addressed to this job. */
  onReply(m: DigestReply): void {
    if (m.t === 'ack') {
      this.#inFlight -= m.n;
      if (this.#inFlight <= HIGH_WATER) this.#wake();
    } else if (m.t === 'done') {
      const out: Partial<Record<A, Buffer>> = {};
      for (const [alg, bytes] of Object.entries(m.digests)) {
        out[alg as A] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      const s = this.#settle;
      this.#end();
      s?.resolve(out as Record<A, Buffer>);
    } else {
      this.#end(new Error(`digest worker: ${m.message}`));
    }
  }

  /** Ends the job: wakes writers, rejects a pending digest with `err`, unregisters. */
  #end(err?: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#failure = err;
    this.#batch = undefined;
    this.#wake();
    const s = this.#settle;
    this.#settle = undefined;
    if (err) s?.reject(err);
    this.onEnd(this.id);
  }

  /** The worker died: fail the job. */
  fail(err: Error): void {
    this.#end(err);
  }

  #wake(): void {
    const w = this.#drained;
    this.#drained = [];
    for (const f of w) f();
  }
}

/**
 * A pool of `size` digest worker threads (default 1; the machine has 2 cores),
 * started lazily. Workers are ref'ed only while they have jobs, so an idle
 * pool never keeps the process alive. Jobs go to the least-busy worker.
 */
export class DigestPool implements Digester {
  readonly #size: number;
  readonly #workers: PoolWorker[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: { size?: number } = {}) {
    this.#size = Math.max(1, Math.floor(opts.size ?? 1));
  }

  start<A extends DigestAlg>(algs: readonly A[]): DigestJob<A> {
    if (this.#closed) throw new Error('digest pool closed');
    const pw = this.#pick();
    const id = this.#nextId++;
    const job = new WorkerJob<A>(id, pw, (endedId) => {
      pw.jobs.delete(endedId);
      if (pw.jobs.size === 0) pw.worker.unref();
    });
    pw.jobs.set(id, job as unknown as WorkerJob<DigestAlg>);
    pw.worker.ref();
    pw.worker.postMessage({ t: 'start', id, algs: [...new Set(algs)] } satisfies DigestRequest);
    return job;
  }

  /** Jobs currently registered (for tests and metrics). */
  get activeJobs(): number {
    return this.#workers.reduce((n, w) => n + w.jobs.size, 0);
  }

  /** Terminates the workers; pending jobs fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const ws = this.#workers.splice(0);
    await Promise.all(ws.map(async (pw) => {
      for (const j of [...pw.jobs.values()]) j.fail(new Error('digest pool closed'));
      await pw.worker.terminate();
    }));
  }

  #pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const w of this.#workers) if (!best || w.jobs.size < best.jobs.size) best = w;
    if (best && (best.jobs.size === 0 || this.#workers.length >= this.#size)) return best;
    return this.#spawn();
  }

  #spawn(): PoolWorker {
    const worker = new Worker(new URL('./digest-thread.js', import.meta.url));
    const pw: PoolWorker = { worker, jobs: new Map(), spare: [] };
    worker.unref();
    worker.on('message', (m: DigestReply) => {
      // Recycled here, not by the job: acks of a cancelled job bring buffers back too.
      if (m.t === 'ack' && m.data.buffer.byteLength === BATCH && pw.spare.length < SPARE_BATCHES) {
        pw.spare.push(Buffer.from(m.data.buffer as ArrayBuffer, 0, BATCH));
      }
      pw.jobs.get(m.id)?.onReply(m);
    });
    const die = (err: Error) => {
      const i = this.#workers.indexOf(pw);
      if (i >= 0) this.#workers.splice(i, 1);
      for (const j of [...pw.jobs.values()]) j.fail(err);
    };
    worker.on('error', (e) => die(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => die(new Error(`digest worker exited (${code})`)));
    this.#workers.push(pw);
    return pw;
  }
}

/**
 * The same interface on the calling thread: for tests, tiny bodies, or a
 * process that must not start threads.
 */
export class InlineDigester implements Digester {
  start<A extends DigestAlg>(algs: readonly A[]): DigestJob<A> {
    let hashes: Map<A, Checksum> | undefined = new Map([...new Set(algs)].map((a) => [a, createDigest(a)]));
    return {
      update(chunk) {
        if (hashes) for (const h of hashes.values()) h.update(chunk);
        return Promise.resolve();
      },
      digest() {
        if (!hashes) return Promise.reject(new Error('digest job already finished'));
        const out = {} as Record<A, Buffer>;
        for (const [a, h] of hashes) out[a] = h.digest();
        hashes = undefined;
        return Promise.resolve(out);
      },
      cancel() {
        hashes = undefined;
      },
    };
  }
}
