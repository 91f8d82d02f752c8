// Batched node RPC (one HTTP request carrying many protocol messages): under
// load a gateway sends each node one request per event-loop turn instead of
// one per message, which is what bounded small-object throughput (every
// loopback HTTP request costs a writev through the kernel's TCP stack on
// both sides). Request body: entries [route u8][length u32][payload];
// answer body: entries [status u16][length u32][payload], in the same order.
// The batch is authenticated as a whole (node-auth.ts, body hash).
//
// The route byte's high bit asks for the answer in its binary form
// (binary-answers.ts), for the routes that have one (BINARY_ANSWER_ROUTES);
// a node answers JSON where it is not set, as to a gateway older than that
// form. A node older than it refuses the whole batch as malformed, so nodes
// are upgraded before gateways.

import { PATHS } from './node-messages.js';
import { WireError } from './wire.js';

/** Routes that may travel in a batch, by their one-byte id. */
export const BATCH_ROUTES = [PATHS.clock, PATHS.complete, PATHS.collect, PATHS.filter, PATHS.list, PATHS.health, PATHS.store, PATHS.pin] as const;
export type BatchRoute = (typeof BATCH_ROUTES)[number];

/** Routes whose answer a gateway may ask for in binary (binary-answers.ts). */
export const BINARY_ANSWER_ROUTES: ReadonlySet<BatchRoute> = new Set([PATHS.clock, PATHS.complete, PATHS.collect, PATHS.filter, PATHS.store]);
/** The route byte's bit that asks for a binary answer. */
const BINARY_ANSWER = 0x80;

export const BATCH_PATH = '/v1/batch';
/** Largest batch body either side builds or accepts. */
export const MAX_BATCH_BYTES = 32 * 1024 * 1024;
export const MAX_BATCH_ENTRIES = 1024;

export interface BatchEntry {
  readonly route: BatchRoute;
  readonly payload: Buffer;
  /** Answer in the binary form (a route of BINARY_ANSWER_ROUTES only). */
  readonly binary?: boolean;
}

export interface BatchAnswer {
  readonly status: number;
  readonly payload: Buffer;
}

export function encodeBatch(entries: readonly BatchEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.binary && !BINARY_ANSWER_ROUTES.has(e.route)) throw new RangeError(`${e.route} has no binary answer`);
    const h = Buffer.allocUnsafe(5);
    h.writeUInt8(BATCH_ROUTES.indexOf(e.route) | (e.binary ? BINARY_ANSWER : 0), 0);
    h.writeUInt32BE(e.payload.length, 1);
    parts.push(h, e.payload);
  }
  return Buffer.concat(parts);
}

export function decodeBatch(body: Buffer): BatchEntry[] {
  const out: BatchEntry[] = [];
  let off = 0;
  while (off < body.length) {
    if (off + 5 > body.length || out.length >= MAX_BATCH_ENTRIES) throw new WireError('bad batch');
    const id = body.readUInt8(off);
    const route = BATCH_ROUTES[id & ~BINARY_ANSWER];
    const binary = (id & BINARY_ANSWER) !== 0;
    const len = body.readUInt32BE(off + 1);
    if (!route || (binary && !BINARY_ANSWER_ROUTES.has(route)) || off + 5 + len > body.length) throw new WireError('bad batch entry');
    out.push({ route, payload: body.subarray(off + 5, off + 5 + len), ...(binary ? { binary } : {}) });
    off += 5 + len;
  }
  return out;
}

/**
 * Refusal code of a batched message whose answer did not fit in its batch's
 * answer: the gateway sends it again alone. Never evidence.
 */
export const ANSWER_TOO_LARGE = 'answer-too-large';

/**
 * A batch's answers cut to fit in MAX_BATCH_BYTES (a node's side): the
 * largest answers are replaced, one by one, by an ANSWER_TOO_LARGE refusal
 * until the rest fit. Each message's answer fits alone (sizes.ts), and the
 * gateway refuses any batch answer above the cap as evidence, so a correct
 * node never sends one, however many large answers a batch gathered.
 */
export function fitAnswers(answers: readonly BatchAnswer[], max = MAX_BATCH_BYTES): BatchAnswer[] {
  const out = [...answers];
  let total = out.reduce((n, a) => n + 6 + a.payload.length, 0);
  if (total <= max) return out;
  const refusal = Buffer.from(JSON.stringify({ error: ANSWER_TOO_LARGE, message: 'send it alone' }));
  const largest = out.map((a, i) => i).sort((a, b) => out[b]!.payload.length - out[a]!.payload.length);
  for (const i of largest) {
    if (total <= max) break;
    total -= out[i]!.payload.length - refusal.length;
    out[i] = { status: 413, payload: refusal };
  }
  return out;
}

export function encodeAnswers(answers: readonly BatchAnswer[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of answers) {
    const h = Buffer.allocUnsafe(6);
    h.writeUInt16BE(a.status, 0);
    h.writeUInt32BE(a.payload.length, 2);
    parts.push(h, a.payload);
  }
  return Buffer.concat(parts);
}

/** Parses a node's batch answer; it must answer every entry (else WireError: evidence). */
export function decodeAnswers(body: Buffer, expected: number): BatchAnswer[] {
  const out: BatchAnswer[] = [];
  let off = 0;
  while (off < body.length) {
    if (off + 6 > body.length) throw new WireError('bad batch answer');
    const status = body.readUInt16BE(off);
    const len = body.readUInt32BE(off + 2);
    if (off + 6 + len > body.length) throw new WireError('bad batch answer entry');
    out.push({ status, payload: body.subarray(off + 6, off + 6 + len) });
    off += 6 + len;
  }
  if (out.length !== expected) throw new WireError(`batch answered ${out.length} of ${expected} entries`);
  return out;
}
