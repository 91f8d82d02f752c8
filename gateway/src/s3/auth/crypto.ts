// The few cryptographic primitives of request signing, all on node:crypto.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Hex SHA-256 of the empty string: the "previous hash" line of every aws-chunked chunk string-to-sign. */
export const EMPTY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacSha256(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function hmacSha1Base64(key: string, data: string): string {
  return createHmac('sha1', key).update(data, 'utf8').digest('base64');
}

/**
 * SigV4 signing key: HMAC chain over "AWS4"+secret, date (yyyymmdd), region,
 * service, "aws4_request". Also the key of aws-chunked chunk and trailer
 * signatures and of POST policy V4 signatures.
 */
export function sigV4SigningKey(secretKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmacSha256(`AWS4${secretKey}`, date);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  return hmacSha256(kService, 'aws4_request');
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
