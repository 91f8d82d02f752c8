// Gathers the protocol messages addressed to one node during an event-loop
// turn and sends them as one batch request (shared/src/protocol/wire/batch.ts).
// Each caller still gets its own answer, its own refusal, and can abandon
// its message with its own AbortSignal, at any time: its promise rejects at
// once, and a batch request whose callers have all gone is cut (protocol
// review finding 7: a node that drips its answer must not pin the batch).
// A failed batch request fails every message in it (as a failed connection
// would have). A node with MAX_BATCHES_IN_FLIGHT unanswered batches takes no
// more messages: they fail at once, as a node that does not answer would.
// A message the node refused as ANSWER_TOO_LARGE (its answer did not fit
// beside the others') is sent again in a batch of its own.
//
// While SENDING_BATCHES batches to a node are unanswered, new messages wait
// for one of them to be answered, or for HOLD_MS, and then go together: under
// load batches grow with the node's answer time, and a batch costs both
// sides an HTTP request (parse, authentication, response) however few
// messages it carries (issue 11: with batches cut per event-loop turn only,
// a node took about one request per 4 KiB GET). A slow answer (a large
// listing page, a slow node) holds the others back HOLD_MS at most.
//
// SENDING_BATCHES is one: whatever a node is sent while it works on a batch
// goes in the next one. A batch request costs a node about 150 µs of CPU
// however few messages it carries (a collect in it: 2-3 µs; a real node on
// its own, batches from another process), a third of it the kernel waking
// the other side, and the gateway an HTTP request through undici. At two,
// 4 KiB PUTs and GETs (16 in flight) made 29% more batch requests, and cost
// the nodes 15% (PUT) and 12% (GET) more CPU an operation (three ABBA load
// pairs). A lone operation is not held: nothing is in flight before it.
//
// A message nobody waits on to go on (a read's pin narrowed or renewed, its
// releases: they only let a node collect sooner) is sent lazily: it starts
// no batch of its own, but goes with the next message that does, or after
// LAZY_MS. During 1 MiB GETs (8 in flight) each data node was sent a narrow
// as soon as its blocks were asked for, and it often went alone: batch
// requests a GET at node 0 went from 1.00 to 0.88 once pin messages waited.

import { NodeRefusedError } from '@powerstore/shared/errors.js';
import { ANSWER_TOO_LARGE, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, type BatchAnswer, type BatchEntry, type BatchRoute } from '@powerstore/shared/protocol/wire/batch.js';

/** Unanswered batch requests to one node beyond which its messages fail at once. */
export const MAX_BATCHES_IN_FLIGHT = 512;

/** Unanswered batches to one node past which new messages wait (see above). */
export const SENDING_BATCHES = 1;
/** Longest a message waits behind SENDING_BATCHES unanswered batches. */
export const HOLD_MS = 5;
/** Longest a lazy message waits for another to go with; well inside a pin's lease (PIN_LEASE_MS, a minute). */
export const LAZY_MS = 20;

export interface BatcherOptions {
  readonly sendingBatches?: number;
  readonly holdMs?: number;
  readonly lazyMs?: number;
}

export class NodeSaturatedError extends Error {
  override readonly name = 'NodeSaturatedError';
}

export class RpcBatcher {
  private queue: PendingCall[] = [];
  /** Messages in the queue that are not lazy: while there are none, nothing is scheduled for it. */
  private eager = 0;
  private scheduled = false;
  private inFlight = 0;
  /** Sends the waiting messages HOLD_MS after they began to wait, answered or not. */
  private hold: NodeJS.Timeout | undefined;
  /** Sends the waiting lazy messages LAZY_MS after the first began to wait, if nothing else took them. */
  private lazy: NodeJS.Timeout | undefined;
  private readonly sendingBatches: number;
  private readonly holdMs: number;
  private readonly lazyMs: number;

  constructor(
    private readonly node: number,
    /** Sends one encoded batch and returns its answers (exactly one per entry); `signal` cuts the request. */
    private readonly sendBatch: (entries: readonly BatchEntry[], signal: AbortSignal) => Promise<BatchAnswer[]>,
    opts: BatcherOptions = {},
  ) {
    this.sendingBatches = opts.sendingBatches ?? SENDING_BATCHES;
    this.holdMs = opts.holdMs ?? HOLD_MS;
    this.lazyMs = opts.lazyMs ?? LAZY_MS;
  }

  /**
   * `binary`: ask for the answer in its binary form (batch.ts BINARY_ANSWER_ROUTES).
   * `lazy`: go with the next batch that other messages start, or after LAZY_MS (see above).
   */
  call(route: BatchRoute, payload: Buffer, signal: AbortSignal, binary = false, lazy = false): Promise<Buffer> {
    return new Promise((res, rej) => {
      if (signal.aborted) return rej(signal.reason);
      if (this.inFlight >= MAX_BATCHES_IN_FLIGHT) return rej(new NodeSaturatedError(`node ${this.node}: ${this.inFlight} batches unanswered`));
      const p = new PendingCall(binary ? { route, payload, binary } : { route, payload }, signal, res, rej);
      watch(signal, p);
      this.queue.push(p);
      if (!lazy) {
        this.eager++;
        this.schedule();
      } else {
        this.lazy ??= setTimeout(() => {
          this.lazy = undefined;
          this.schedule();
        }, this.lazyMs);
      }
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush(false));
  }

  /** Sends what waits; `force` (the hold timer) sends it even behind SENDING_BATCHES unanswered batches. */
  private flush(force: boolean): void {
    if (!force) this.scheduled = false;
    if (this.queue.length === 0) return;
    if (!force && this.inFlight >= this.sendingBatches) {
      this.hold ??= setTimeout(() => {
        this.hold = undefined;
        this.flush(true);
      }, this.holdMs);
      return;
    }
    clearTimeout(this.hold);
    this.hold = undefined;
    clearTimeout(this.lazy);
    this.lazy = undefined;
    this.eager = 0;
    const all = this.queue.filter((p) => {
      if (!p.signal.aborted) return true;
      p.reject(p.signal.reason);
      return false;
    });
    this.queue = [];
    let batch: PendingCall[] = [];
    let bytes = 0;
    for (const p of all) {
      if (batch.length > 0 && (batch.length >= MAX_BATCH_ENTRIES || bytes + p.entry.payload.length + 5 > MAX_BATCH_BYTES)) {
        this.send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(p);
      bytes += p.entry.payload.length + 5;
    }
    if (batch.length > 0) this.send(batch);
  }

  private send(batch: PendingCall[]): void {
    // The request goes once every caller in it has gone.
    const ctl = new AbortController();
    let waiting = batch.length;
    for (const p of batch) {
      p.onAbort(() => {
        if (--waiting === 0) ctl.abort(new Error('every caller of the batch has gone'));
      });
    }
    this.inFlight++;
    this.sendBatch(batch.map((p) => p.entry), ctl.signal).finally(() => {
      this.inFlight--;
      // Lazy messages alone wait on: their timer sends them.
      if (this.eager > 0) this.schedule();
    }).then(
      (answers) => {
        answers.forEach((a, i) => {
          const p = batch[i]!;
          if (a.status === 200) p.resolve(a.payload);
          else {
            const { code, message } = refusalBody(a.payload);
            // Its answer did not fit beside the others' (batch.ts fitAnswers): alone, it does.
            if (code === ANSWER_TOO_LARGE && batch.length > 1 && !p.signal.aborted) this.send([p]);
            else p.reject(new NodeRefusedError(this.node, a.status, code, message));
          }
        });
      },
      (err: unknown) => batch.forEach((p) => p.reject(err)),
    );
  }
}

/**
 * One message waiting for its answer. It settles once: with its answer, a
 * refusal or failure, or its caller's abort (which first runs the hook its
 * batch set, so a batch whose callers have all gone is cut).
 */
class PendingCall {
  private settled = false;
  private abortHook: (() => void) | null = null;

  constructor(
    readonly entry: BatchEntry,
    readonly signal: AbortSignal,
    private readonly res: (b: Buffer) => void,
    private readonly rej: (e: unknown) => void,
  ) {}

  resolve(b: Buffer): void {
    if (this.settle()) this.res(b);
  }

  reject(e: unknown): void {
    if (this.settle()) this.rej(e);
  }

  onAbort(f: () => void): void {
    this.abortHook = f;
  }

  /** The caller's signal aborted (watch). */
  aborted(): void {
    if (this.settled) return;
    this.abortHook?.();
    if (this.settle()) this.rej(this.signal.reason);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    watching.get(this.signal)?.delete(this);
    return true;
  }
}

/**
 * The messages waiting under each caller's signal: one abort listener a
 * signal, not one a message. A round's calls to all nodes share its signal
 * (quorum.ts), and adding and removing an EventTarget listener for each
 * message was 2.5 KiB of a 4 KiB GET's allocation at the gateway.
 */
const watching = new WeakMap<AbortSignal, Set<PendingCall>>();

function watch(signal: AbortSignal, p: PendingCall): void {
  let set = watching.get(signal);
  if (!set) {
    const calls = new Set<PendingCall>();
    watching.set(signal, calls);
    signal.addEventListener('abort', () => {
      for (const c of [...calls]) c.aborted();
    }, { once: true });
    set = calls;
  }
  set.add(p);
}

/** A node's refusal body: {"error": code, "message": detail}. */
export function refusalBody(payload: Buffer): { code: string; message: string } {
  try {
    const j = JSON.parse(payload.toString('utf8')) as { error?: unknown; message?: unknown };
    return {
      code: typeof j.error === 'string' ? j.error.slice(0, 64) : 'error',
      message: typeof j.message === 'string' ? j.message.slice(0, 64 * 1024) : '',
    };
  } catch {
    return { code: 'error', message: '' };
  }
}
