// Timestamps (DESIGN §3): ts = (num, writer, op, tag), ordered by
// (num, writer, op). `writer` is 64 random bits drawn at each gateway process
// start, `op` a per-process counter, so no two writes anywhere share a ts.
// tag = MAC_kW(reg ‖ num ‖ writer ‖ op ‖ epoch): a ts whose tag does not
// verify for this register is forged and must be ignored. The key epoch is
// named in the ts; its MACs (tag and the candidate's vec) use that epoch.

import { randomBytes } from 'node:crypto';
import { writeU64be } from '../bytes.js';
import { hmacSha256, hmacSha256Matches } from '../hash.js';
import type { WriterKeyring } from '../keys.js';

export interface Timestamp {
  readonly num: number;
  /** 16 lower-case hex digits: the writing process's random 64-bit id. */
  readonly writer: string;
  readonly op: number;
  readonly epoch: number;
  readonly tag: Buffer;
}

export const WRITER_ID_HEX = 16;
const TAG_DOMAIN = Buffer.from('ps-ts-v1\0', 'utf8');

export function newWriterId(): string {
  return randomBytes(WRITER_ID_HEX / 2).toString('hex');
}

/** Total order on timestamps; `null` is ts0, below everything. */
export function compareTs(a: Timestamp | null, b: Timestamp | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a.num !== b.num) return a.num < b.num ? -1 : 1;
  if (a.writer !== b.writer) return a.writer < b.writer ? -1 : 1;
  if (a.op !== b.op) return a.op < b.op ? -1 : 1;
  return 0;
}

/** A stable map key for a ts (order fields only). */
export function tsKey(ts: Timestamp | null): string {
  return ts === null ? '0' : `${ts.num}.${ts.writer}.${ts.op}`;
}

/**
 * The fixed-width encoding of the ordered fields plus epoch: MAC input.
 * One Buffer, written in place (every candidate judged encodes its ts
 * twice: five Buffers and two BigInts each were a tenth of what a
 * listing allocated).
 */
export function tsBytes(ts: Omit<Timestamp, 'tag'>): Buffer {
  const b = Buffer.allocUnsafe(8 + WRITER_ID_HEX / 2 + 8 + 4);
  writeU64be(b, ts.num, 0);
  if (ts.writer.length !== WRITER_ID_HEX || b.write(ts.writer, 8, WRITER_ID_HEX / 2, 'hex') !== WRITER_ID_HEX / 2) {
    throw new RangeError(`ts writer is not ${WRITER_ID_HEX} hex digits`);
  }
  writeU64be(b, ts.op, 16);
  b.writeUInt32BE(ts.epoch >>> 0, 24);
  return b;
}

/** What a tag is the MAC of (computeTag and verifyTag alike). */
function tagInput(reg: Buffer, ts: Omit<Timestamp, 'tag'>): Buffer[] {
  return [TAG_DOMAIN, reg, tsBytes(ts)];
}

export function computeTag(key: Buffer, reg: Buffer, ts: Omit<Timestamp, 'tag'>): Buffer {
  return hmacSha256(key, ...tagInput(reg, ts));
}

/** Issues a new tagged timestamp for register `reg` (clock's last step). */
export function makeTimestamp(
  keys: WriterKeyring,
  reg: Buffer,
  fields: { num: number; writer: string; op: number },
): Timestamp {
  const epoch = keys.currentEpoch;
  const key = keys.writerKey(epoch);
  if (!key) throw new Error(`no writer key for epoch ${epoch}`);
  const base = { ...fields, epoch };
  return { ...base, tag: computeTag(key, reg, base) };
}

/** True when the tag verifies for this register under the ts's own epoch. */
export function verifyTag(keys: WriterKeyring, reg: Buffer, ts: Timestamp): boolean {
  const key = keys.writerKey(ts.epoch);
  return key !== undefined && hmacSha256Matches(key, ts.tag, ...tagInput(reg, ts));
}
