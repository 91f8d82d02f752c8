// The few cryptographic primitives of request signing, all on node:crypto.

import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { hmacSha256 as macSha256 } from '@powerstore/shared/hash.js';

/** Hex SHA-256 of the empty string: the "previous hash" line of every aws-chunked chunk string-to-sign. */
export const EMPTY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function sha256Hex(data: string | Uint8Array): string {
  // One-shot: no Hash object (a stream with a native handle) a request.
  return hash('sha256', data, 'hex');
}

export function hmacSha256(key: Uint8Array | string, data: string): Buffer {
  // A Buffer key (a signing key, kept) goes the protocol's way: its pads are
  // kept with it and the MAC is two one-shot hashes.
  if (Buffer.isBuffer(key)) return macSha256(key, Buffer.from(data, 'utf8'));
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function hmacSha1Base64(key: string, data: string): string {
  return createHmac('sha1', key).update(data, 'utf8').digest('base64');
}

/** Signing keys made lately, by credential scope and secret: one a day per key and region, not four MACs a request. */
const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 1024;

/**
 * SigV4 signing key: HMAC chain over "AWS4"+secret, date (yyyymmdd), region,
 * service, "aws4_request". Also the key of aws-chunked chunk and trailer
 * signatures and of POST policy V4 signatures. The same for every request
 * of a day (S3's own scope), so it is kept: the result is shared, and no
 * caller writes into it.
 */
export function sigV4SigningKey(secretKey: string, date: string, region: string, service: string): Buffer {
  // Unambiguous whatever the fields hold (a presigned URL's scope can carry any character).
  const id = JSON.stringify([date, region, service, secretKey]);
  const known = signingKeys.get(id);
  if (known) return known;
  const kDate = hmacSha256(`AWS4${secretKey}`, date);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  const key = hmacSha256(kService, 'aws4_request');
  if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.delete(signingKeys.keys().next().value!);
  signingKeys.set(id, key);
  return key;
}

/**
 * Constant-time comparison of a computed signature with the one the client
 * sent. A length difference returns false at once: the length of our own
 * output is public.
 */
export function sameSignature(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
