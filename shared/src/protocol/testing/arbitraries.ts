// fast-check arbitraries of the protocol's values, and the property every
// decoder of an untrusted message must keep, for the wire forms' property
// tests (node-messages, list answers, lc text).

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { Candidate } from '../candidate.js';
import type { Timestamp } from '../timestamp.js';
import { WireError } from '../wire/wire.js';

/** fast-check's records have no prototype; the decoders build plain objects. */
const plain = <T extends object>(x: T): T => ({ ...x });

/** A counter: small ones often (as in real clusters), up to the largest safe integer. */
const counter = fc.oneof(fc.nat({ max: 20 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }));

export const bytesArb = (n: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));

export const tsArb: fc.Arbitrary<Timestamp> = fc.record({
  num: counter,
  writer: bytesArb(8).map((b) => b.toString('hex')),
  op: counter,
  epoch: fc.nat({ max: 0xffffffff }),
  tag: bytesArb(32),
}).map(plain);

export const candArb = (S: number): fc.Arbitrary<Candidate> =>
  fc.record({ ts: tsArb, nonce: bytesArb(32), d: bytesArb(32), vec: fc.array(bytesArb(32), { minLength: S, maxLength: S }) }).map(plain);

/** A mangling of some bytes: `del` of them at a position replaced by `ins`, then one XORed with `flip`. */
export interface Mangling { readonly at: number; readonly del: number; readonly ins: Uint8Array; readonly flip: number }

export const manglingArb: fc.Arbitrary<Mangling> = fc.record({ at: fc.nat(), del: fc.nat({ max: 8 }), ins: fc.uint8Array({ maxLength: 4 }), flip: fc.nat({ max: 255 }) });

/** `b` mangled (a copy). */
export function mangled(b: Buffer, m: Mangling): Buffer {
  const i = m.at % (b.length + 1);
  const out = Buffer.concat([b.subarray(0, i), Buffer.from(m.ins), b.subarray(i + m.del)]);
  if (out.length > 0) out[m.at % out.length]! ^= m.flip;
  return out;
}

/** The value, or undefined after a WireError; anything else (a TypeError, a RangeError) fails the property. */
export function valueOrWireError<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    assert.ok(e instanceof WireError, `expected a WireError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return undefined;
  }
}
