// Stored checksums as the XML elements S3 responses carry them
// (CopyObjectResult, GetObjectAttributes' Checksum): Checksum<ALG> in the
// order of the AWS schema, and the ChecksumType they describe.

import type { ObjectMeta } from '../../object-meta.js';
import type { XmlNode } from '../xml.js';

const ELEMENTS = [['crc32', 'CRC32'], ['crc32c', 'CRC32C'], ['crc64nvme', 'CRC64NVME'], ['sha1', 'SHA1'], ['sha256', 'SHA256']] as const;

/** ChecksumCRC32 … ChecksumSHA256 for each checksum (by lower-case algorithm name) given. */
export function checksumNodes(checksums: Readonly<Record<string, string>> | undefined): XmlNode[] {
  const c = checksums ?? {};
  return ELEMENTS.flatMap(([alg, name]): XmlNode[] => (c[alg] !== undefined ? [[`Checksum${name}`, c[alg]]] : []));
}

/**
 * FULL_OBJECT, or COMPOSITE for a checksum of part checksums (its value
 * ends in "-<parts>", as S3 writes multipart checksums); null when none.
 */
export function checksumType(m: ObjectMeta): 'FULL_OBJECT' | 'COMPOSITE' | null {
  const values = Object.values(m.checksums ?? {});
  if (values.length === 0) return null;
  return values.some((v) => /-\d+$/.test(v)) ? 'COMPOSITE' : 'FULL_OBJECT';
}
