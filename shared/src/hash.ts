// Hashes and MACs of the protocol: H = SHA-256, MAC = HMAC-SHA-256.
// node:crypto is used for both: measured here it is 2x faster than
// @noble/hashes even on 120-byte messages (5.5 vs 12 us per HMAC) and 9x on
// bulk data (see README, "Dependencies").
//
// Small inputs (every MAC and most hashes of the protocol: a few 32-byte
// fields) are copied into one scratch buffer and hashed by the one-shot
// `hash`: a Hash or Hmac object is a stream with a native handle, and
// making one per call was most of what judging a listing's candidates
// allocated (430 bytes a MAC) and its garbage collection a fifth of its time.
//
// A digest that is only copied on (HMAC's inner hash) or only compared (a
// MAC or hash checked against the one received: `*Matches`) comes back as
// a 32-character latin1 string, not a Buffer: a Buffer is an ArrayBuffer
// with a native backing store, which the collector tracks and sweeps apart.

import { createHash, createHmac, hash } from 'node:crypto';
import { equalBytes } from './bytes.js';

export const HASH_BYTES = 32;

/** SHA-256's block: HMAC's key pads are this long. */
const BLOCK = 64;
/** Messages up to this many bytes go through a scratch buffer. */
const SMALL = 512;
/**
 * Scratch buffers by exact length (the protocol's messages have a handful
 * of lengths): `hash` takes a whole view, and a subarray of one big buffer
 * would be one more object a call.
 */
const scratchByLength = new Map<number, Buffer>();
const MAX_SCRATCH_LENGTHS = 64;
const outer = Buffer.allocUnsafeSlow(BLOCK + HASH_BYTES);

function oneShot(b: Buffer): Buffer {
  return hash('sha256', b, 'buffer');
}

/** The digest as latin1 text: one character a byte, no Buffer. */
function oneShotText(b: Buffer): string {
  return hash('sha256', b, 'binary');
}

/** Whether latin1 digest `d` is the bytes of `expected`, comparing all of them whatever differs (MACs). */
function textMatches(d: string, expected: Buffer): boolean {
  if (expected.length !== d.length) return false;
  let diff = 0;
  for (let i = 0; i < d.length; i++) diff |= d.charCodeAt(i) ^ expected[i]!;
  return diff === 0;
}

/** parts copied after `head` bytes into a scratch buffer of exactly that length, or null past SMALL bytes of parts. */
function gather(head: Buffer | null, parts: readonly Buffer[]): Buffer | null {
  let n = 0;
  for (const p of parts) n += p.length;
  if (n > SMALL) return null;
  const len = (head?.length ?? 0) + n;
  let b = scratchByLength.get(len);
  if (!b) {
    b = Buffer.allocUnsafeSlow(len);
    if (scratchByLength.size < MAX_SCRATCH_LENGTHS) scratchByLength.set(len, b);
  }
  let at = head ? head.copy(b, 0) : 0;
  for (const p of parts) at += p.copy(b, at);
  return b;
}

/** Whether SHA-256 of the parts is `expected` (no digest Buffer made for a small input). */
export function sha256Matches(expected: Buffer, ...parts: Buffer[]): boolean {
  const b = parts.length === 1 ? parts[0]! : gather(null, parts);
  if (!b) return equalBytes(sha256(...parts), expected);
  return textMatches(oneShotText(b), expected);
}

export function sha256(...parts: Buffer[]): Buffer {
  // One part: the one-shot hash, 0.8 us against 1.2-1.4 for a Hash object
  // on 32 bytes (nonce hashes, meta's hash: a listing makes two a key).
  if (parts.length === 1) return oneShot(parts[0]!);
  const b = gather(null, parts);
  if (b) return oneShot(b);
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Each key's inner and outer pads (K ⊕ ipad, K ⊕ opad): keys are few and live as long as their keyring. */
const pads = new WeakMap<Buffer, { readonly inner: Buffer; readonly outer: Buffer }>();

function padsOf(key: Buffer): { readonly inner: Buffer; readonly outer: Buffer } {
  let p = pads.get(key);
  if (!p) {
    const k = key.length > BLOCK ? oneShot(key) : key;
    p = { inner: Buffer.alloc(BLOCK), outer: Buffer.alloc(BLOCK) };
    for (let i = 0; i < BLOCK; i++) {
      const b = i < k.length ? k[i]! : 0;
      p.inner[i] = b ^ 0x36;
      p.outer[i] = b ^ 0x5c;
    }
    pads.set(key, p);
  }
  return p;
}

/** HMAC-SHA-256 (RFC 2104): H(K ⊕ opad ‖ H(K ⊕ ipad ‖ message)). */
export function hmacSha256(key: Buffer, ...parts: Buffer[]): Buffer {
  return outerOf(key, parts) ? oneShot(outer) : slowHmac(key, parts);
}

/** Whether HMAC-SHA-256 of the parts under `key` is `expected`, every byte compared (no digest Buffer for a small input). */
export function hmacSha256Matches(key: Buffer, expected: Buffer, ...parts: Buffer[]): boolean {
  return outerOf(key, parts) ? textMatches(oneShotText(outer), expected) : equalBytes(slowHmac(key, parts), expected);
}

/** Fills `outer` with K ⊕ opad ‖ H(K ⊕ ipad ‖ parts), or returns false past SMALL bytes of parts. */
function outerOf(key: Buffer, parts: readonly Buffer[]): boolean {
  const p = padsOf(key);
  const b = gather(p.inner, parts);
  if (!b) return false;
  p.outer.copy(outer, 0);
  outer.write(oneShotText(b), BLOCK, 'latin1');
  return true;
}

function slowHmac(key: Buffer, parts: readonly Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const part of parts) h.update(part);
  return h.digest();
}

export const EMPTY_SHA256 = sha256();
