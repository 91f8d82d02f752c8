// A cap on the request bodies one user streams at once (review F3): each
// body in flight holds a client socket, gateway memory and a stream to
// every node, so one user's many slow uploads must not take what others
// need. Beyond the cap the request is refused with 503 SlowDown before any
// byte is read (S3's answer to "reduce your request rate"; SDKs retry it
// with backoff). Requests not yet authenticated (PostObject reads its form
// first) count under the client's address instead.

import { S3Error } from '../errors.js';

export class UploadSlots {
  private readonly held = new Map<string, number>();

  constructor(private readonly perUser: number) {}

  /**
   * Takes one of `who`'s slots or throws SlowDown. The returned release is
   * idempotent: call it when the body ends, fails or is abandoned.
   */
  take(who: string): () => void {
    const n = this.held.get(who) ?? 0;
    if (n >= this.perUser) throw new S3Error('SlowDown');
    this.held.set(who, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(who) ?? 1) - 1;
      if (left > 0) this.held.set(who, left);
      else this.held.delete(who);
    };
  }

  /** Slots `who` holds now. */
  count(who: string): number {
    return this.held.get(who) ?? 0;
  }
}

/** `stream`, calling `release` once it ends, fails or is left (a body never iterated is released by its owner). */
export async function* releasing<T>(stream: AsyncIterable<T>, release: () => void): AsyncGenerator<T, void, undefined> {
  try {
    yield* stream;
  } finally {
    release();
  }
}
