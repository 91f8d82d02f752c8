// Bytes of answer buffered from one node at once (protocol review finding
// 11): without a budget, every unanswered batch to a node could hold up to a
// whole batch answer (33 MiB), 512 of them. A batch answer that would take a
// node past its budget fails like a saturated node (NodeSaturatedError:
// never evidence); the quorum goes on with the other nodes.

import type { Readable } from 'node:stream';
import { BodyTooLargeError, readStream } from '@powerstore/shared/http-body.js';
import { MAX_BATCH_BYTES } from '@powerstore/shared/protocol/wire/batch.js';
import type { BodySink } from './batch-client.js';
import { NodeSaturatedError } from './rpc-batcher.js';

/** Largest batch answer read from a node (a correct node stays within MAX_BATCH_BYTES: batch.ts fitAnswers). */
export const MAX_BATCH_ANSWER = MAX_BATCH_BYTES + 1024 * 1024;

/** Per node: three whole batch answers at once (one always fits). */
export const NODE_ANSWER_BUDGET = 3 * MAX_BATCH_ANSWER;

export class AnswerBudget {
  private used = 0;

  constructor(private readonly node: number, readonly limit = NODE_ANSWER_BUDGET) {}

  /** Bytes currently held by answers being read. */
  get inUse(): number {
    return this.used;
  }

  /**
   * Reads one answer body of at most `max` bytes within the budget. Over
   * `max`: BodyTooLargeError (the caller's evidence); over the budget:
   * NodeSaturatedError. The bytes return to the budget once read.
   */
  async read(src: Readable, max: number): Promise<Buffer> {
    const sink = this.sink(max);
    try {
      await readStream(src, (chunk) => sink.add(chunk));
      return sink.done();
    } finally {
      sink.release();
    }
  }

  /** The same bounds for an answer read piece by piece (batch-client.ts); done() or release() returns its bytes. */
  sink(max: number): BodySink {
    const parts: Buffer[] = [];
    let n = 0;
    const release = (): void => {
      this.used -= n;
      n = 0;
      parts.length = 0;
    };
    return {
      add: (chunk) => {
        if (n + chunk.length > max) throw new BodyTooLargeError(`body larger than ${max} bytes`);
        if (this.used + chunk.length > this.limit) throw new NodeSaturatedError(`node ${this.node}: answers over ${this.limit} bytes at once`);
        this.used += chunk.length;
        n += chunk.length;
        parts.push(chunk);
      },
      done: () => {
        const body = Buffer.concat(parts, n);
        release();
        return body;
      },
      release,
    };
  }
}
