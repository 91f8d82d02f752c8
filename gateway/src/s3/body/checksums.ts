// The S3 checksum algorithms (x-amz-checksum-<alg>), incremental, with values
// as S3 carries them: base64 of the big-endian digest (wire-formats.md §5).
// CRC32 is zlib's; CRC32C and CRC64NVME are ours (crc.ts); SHA1/SHA256/MD5 are node:crypto.

import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { type Crc64, crc32c, crc64nvme } from './crc.js';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Digest length in bytes, to validate a client's base64 value before the body is read. */
export const CHECKSUM_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

/** `x-amz-checksum-crc32` etc. */
export function checksumHeader(alg: ChecksumAlgorithm): string {
  return `x-amz-checksum-${alg.toLowerCase()}`;
}

/** `x-amz-checksum-crc64nvme` → 'CRC64NVME'; undefined for anything else. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const m = /^x-amz-checksum-([a-z0-9]+)$/.exec(name.toLowerCase());
  const alg = m?.[1]?.toUpperCase();
  return CHECKSUM_ALGORITHMS.find((a) => a === alg);
}

/** 'crc32' / 'CRC32' → 'CRC32'; undefined if unknown. */
export function parseAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const up = name.trim().toUpperCase();
  return CHECKSUM_ALGORITHMS.find((a) => a === up);
}

export interface Checksum {
  update(data: Uint8Array): void;
  /** The big-endian digest. Call once, after the last update. */
  digest(): Buffer;
}

class Crc32 implements Checksum {
  #c = 0;
  update(data: Uint8Array): void {
    this.#c = zlibCrc32(data, this.#c);
  }
  digest(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.#c >>> 0);
    return b;
  }
}

class Crc32c implements Checksum {
  #c = 0;
  update(data: Uint8Array): void {
    this.#c = crc32c(data, this.#c);
  }
  digest(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.#c);
    return b;
  }
}

class Crc64Nvme implements Checksum {
  #c: Crc64 = { hi: 0, lo: 0 };
  update(data: Uint8Array): void {
    this.#c = crc64nvme(data, this.#c);
  }
  digest(): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(this.#c.hi, 0);
    b.writeUInt32BE(this.#c.lo, 4);
    return b;
  }
}

function nodeHash(name: 'sha1' | 'sha256' | 'md5'): Checksum {
  const h = createHash(name);
  return { update: (d) => void h.update(d), digest: () => h.digest() };
}

/** A fresh incremental checksum. MD5 is not an S3 checksum algorithm but shares the shape (Content-MD5, ETag). */
export function createChecksum(alg: ChecksumAlgorithm | 'MD5'): Checksum {
  switch (alg) {
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return nodeHash('sha1');
    case 'SHA256':
      return nodeHash('sha256');
    case 'MD5':
      return nodeHash('md5');
  }
}

/** Lower-case names of everything the digester computes: the S3 checksums and MD5. */
export type DigestAlg = 'md5' | 'crc32' | 'crc32c' | 'crc64nvme' | 'sha1' | 'sha256';

export function digestAlgOf(alg: ChecksumAlgorithm): DigestAlg {
  return alg.toLowerCase() as DigestAlg;
}

export function createDigest(alg: DigestAlg): Checksum {
  return createChecksum(alg.toUpperCase() as ChecksumAlgorithm | 'MD5');
}

/** One-shot base64 checksum, as S3 carries it. */
export function checksumBase64(alg: ChecksumAlgorithm | 'MD5', data: Uint8Array): string {
  const c = createChecksum(alg);
  c.update(data);
  return c.digest().toString('base64');
}
