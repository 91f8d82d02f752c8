// Byte limits of the node protocol, derived from S3's own limits (protocol
// review findings 5 and 11). A cap here is a promise: no correct gateway or
// node ever builds a message above it, so a message above it is evidence,
// and a correct one never is. Each limit depends on S (the node count),
// because a multipart object's meta records every part's cross-checksum:
// S hashes per part.
//
// The arithmetic (worst case, every field at its longest):
//   one part's record in meta (gateway/src/object-meta.ts PartLayout):
//     {"n":10000,"size":5368709120,"etag":<32 hex>,"blockSize":16777216,
//      "ts":{"n":<16 digits>,"w":<16 hex>,"o":<16 digits>,"e":<10 digits>,"g":<64 hex>},
//      "cc":[S × <64 hex>],"checksum":<44 base64>}
//     measures 315 + 67·S bytes; we allow PART_RECORD_FIXED + PART_RECORD_PER_NODE·S = 384 + 68·S.
//   meta of a 10,000-part object (S3's maximum) ≤ 64 KiB (user metadata is
//     2 KiB, headers, checksums) + 10,000 × (384 + 68·S):
//       t=1 (S=4)   6.6 MB     t=2 (S=7)   8.7 MB
//       t=3 (S=10) 10.7 MB     t=4 (S=13) 12.7 MB
//   the completing store's commit: meta in base64 (4/3), the parts list
//     (10,000 × ≤ 512 B: namespace ≤ 255 B, key, ts), and 64 KiB for the rest:
//       t=1 14.0 MB  t=2 16.8 MB  t=3 19.4 MB  t=4 22.2 MB,
//     all below MAX_BATCH_BYTES (32 MiB), so it still travels in a batch.
//   a listing page: entries are added until their weight (key + meta bytes)
//     reaches LIST_PAGE_BYTES, so a page weighs < LIST_PAGE_BYTES + one entry;
//     encoded (list-answer.ts: key and meta as bytes, lc as its JSON text
//     of about 350 + 67·S bytes, cc as S hashes), at most about
//       1,000 × (362 + 99·S) + 4 MiB + 12.7 MB ≈ 18.6 MB at t=4,
//     again below MAX_BATCH_BYTES. A batch of several such answers may not fit:
//     the node then refuses the ones that do not (ANSWER_TOO_LARGE) and the
//     gateway sends each of those alone (batch.ts, rpc-batcher.ts).

/** A multipart object has at most this many parts (S3's limit). */
export const MAX_PARTS = 10000;

/** Bytes of a part's record in meta: fixed fields, then one cc hash per node. */
const PART_RECORD_FIXED = 384;
const PART_RECORD_PER_NODE = 68;
/** Everything in meta but the part layout: S3 caps user metadata at 2 KiB; headers and checksums are short. */
const META_BASE_BYTES = 64 * 1024;
/** A part reference in the completing store: namespace (≤ 255 B), key and ts. */
const PART_REF_BYTES = 512;

/** Largest `meta` of any write in a cluster of S nodes (a 10,000-part object's). */
export function maxMetaBytes(S: number): number {
  return META_BASE_BYTES + MAX_PARTS * (PART_RECORD_FIXED + PART_RECORD_PER_NODE * S);
}

/** Length of the base64 text of n bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/** Largest store message (commit frame): a completing store of 10,000 parts. */
export function maxCommitBytes(S: number): number {
  return base64Length(maxMetaBytes(S)) + MAX_PARTS * PART_REF_BYTES + 64 * 1024;
}

/**
 * A node stops adding entries to a listing page once their weight reaches
 * this (DESIGN §8: "up to a count and a byte limit"). Such a page is marked
 * byte-limited, and the gateway checks that it really weighs this much.
 */
export const LIST_PAGE_BYTES = 4 * 1024 * 1024;

/** An entry's weight toward LIST_PAGE_BYTES: the bytes that vary (key and meta). */
export function listEntryWeight(key: string | Buffer, meta: Buffer | undefined): number {
  return Buffer.byteLength(key, 'utf8') + (meta?.length ?? 0);
}
