// Sealing of key-ring entries kept in Redis (schema.ts): AES-256-GCM under
// a key derived by HKDF-SHA256 from the key-encryption key (KEK, 32 bytes,
// held only by gateways and the admin CLI), a fresh random 96-bit IV per
// entry, and the entry's field name as AAD, so an entry opens only where it
// was written ("epoch:3" cannot be passed off as "epoch:4" or "current").
//
// Wire text: "v1." + base64(iv(12) ‖ ciphertext ‖ tag(16)). An entry that
// does not open (wrong KEK, or tampered) raises SealError; callers decide
// whether that is fatal (at start, nothing opening = wrong KEK).

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex } from '@powerstore/shared/bytes.js';

export const KEK_BYTES = 32;
const SALT = Buffer.from('powerstore-keyring-v1', 'utf8');
const AAD_PREFIX = 'powerstore-keyring-v1\0';
const IV = 12;
const TAG = 16;

export class SealError extends Error {
  override readonly name = 'SealError';
}

/** The KEK from 64 hex digits; null when malformed. */
export function parseKek(hex: unknown): Buffer | null {
  return typeof hex === 'string' ? fromHex(hex.toLowerCase(), KEK_BYTES) : null;
}

/** The AES key entries are sealed with (the KEK never keys AES directly). */
export function ringKey(kek: Buffer): Buffer {
  return Buffer.from(hkdf(sha256, kek, SALT, Buffer.from('aes-256-gcm', 'utf8'), 32));
}

export function seal(key: Buffer, field: string, plain: Buffer): string {
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(AAD_PREFIX + field, 'utf8'));
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return `v1.${Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64')}`;
}

export function open(key: Buffer, field: string, text: string): Buffer {
  if (!text.startsWith('v1.')) throw new SealError(`${field}: unknown sealing format`);
  const raw = Buffer.from(text.slice(3), 'base64');
  if (raw.length < IV + TAG) throw new SealError(`${field}: too short`);
  try {
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV));
    d.setAAD(Buffer.from(AAD_PREFIX + field, 'utf8'));
    d.setAuthTag(raw.subarray(raw.length - TAG));
    return Buffer.concat([d.update(raw.subarray(IV, raw.length - TAG)), d.final()]);
  } catch {
    throw new SealError(`${field}: authentication tag mismatch`);
  }
}
