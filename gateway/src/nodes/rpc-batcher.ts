// Gathers the protocol messages addressed to one node during an event-loop
// turn and sends them as one batch request (shared/src/protocol/batch.ts).
// Each caller still gets its own answer, its own refusal, and can abandon
// its message with its own AbortSignal; a failed batch request fails every
// message in it (as a failed connection would have).

import { NodeRefusedError } from '../../../shared/src/errors.js';
import { MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, type BatchAnswer, type BatchEntry, type BatchRoute } from '../../../shared/src/protocol/batch.js';

interface Pending {
  readonly entry: BatchEntry;
  readonly resolve: (b: Buffer) => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal;
}

export class RpcBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly node: number,
    /** Sends one encoded batch and returns its answers (exactly one per entry). */
    private readonly sendBatch: (entries: readonly BatchEntry[]) => Promise<BatchAnswer[]>,
  ) {}

  call(route: BatchRoute, payload: Buffer, signal: AbortSignal): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      this.queue.push({ entry: { route, payload }, resolve, reject, signal });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.queue.filter((p) => {
      if (!p.signal.aborted) return true;
      p.reject(p.signal.reason);
      return false;
    });
    this.queue = [];
    let batch: Pending[] = [];
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

  private send(batch: Pending[]): void {
    this.sendBatch(batch.map((p) => p.entry)).then(
      (answers) => {
        answers.forEach((a, i) => {
          const p = batch[i]!;
          if (a.status === 200) p.resolve(a.payload);
          else {
            const { code, message } = refusalBody(a.payload);
            p.reject(new NodeRefusedError(this.node, a.status, code, message));
          }
        });
      },
      (err: unknown) => batch.forEach((p) => p.reject(err)),
    );
  }
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
