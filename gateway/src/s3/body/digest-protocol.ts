// Messages between the digest pool (main thread) and digest-thread.ts.

import type { DigestAlg } from './checksums.js';

export type { DigestAlg };

export type DigestRequest =
  | { t: 'start'; id: number; algs: DigestAlg[] }
  /** `data` is a private copy, transferred: the worker owns it. */
  | { t: 'update'; id: number; data: Uint8Array }
  | { t: 'digest'; id: number }
  | { t: 'cancel'; id: number };

export type DigestReply =
  /**
   * `n` bytes of job `id` were hashed (sent for every update, even of a
   * cancelled job); `data` is the update's buffer, transferred back so the
   * main thread can reuse it instead of leaving garbage in both heaps.
   */
  | { t: 'ack'; id: number; n: number; data: Uint8Array }
  | { t: 'done'; id: number; digests: Partial<Record<DigestAlg, Uint8Array>> }
  | { t: 'error'; id: number; message: string };
