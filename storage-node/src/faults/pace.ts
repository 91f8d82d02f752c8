// Fault modes about pace: `drip` (served block data, a byte per delay) and
// `trickle` (batch answers, a byte per delay). Every byte is right; only the
// time they take is wrong, so a gateway must see lag, never evidence.

import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** drip: the bytes of `src`, one per `delayMs` (each sent after its wait). */
export async function* dripBytes(src: Iterable<Buffer> | AsyncIterable<Buffer>, delayMs: number): AsyncIterable<Buffer> {
  for await (const chunk of src) {
    for (let i = 0; i < chunk.length; i++) {
      await sleep(delayMs);
      yield chunk.subarray(i, i + 1);
    }
  }
}

/**
 * trickle: writes `body` as the whole answer (its length announced up
 * front), one byte per `delayMs`, and stops as soon as the peer is gone.
 */
export async function trickleOut(res: ServerResponse, body: Buffer, delayMs: number): Promise<void> {
  res.flushHeaders();
  for (let i = 0; i < body.length; i++) {
    await sleep(delayMs);
    if (res.destroyed) return;
    res.write(body.subarray(i, i + 1));
  }
  res.end();
}
