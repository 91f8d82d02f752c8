// The file part of a PostObject form as an object body: counted, hashed
// while it streams (MD5 for the ETag, and an S3 checksum when the form asks
// for one), cut off as soon as it passes its maximum size, and ended only
// after every end-of-upload check passed. Like the body layer's stream
// (STYLE.md §10), a consumer that commits only when the stream ends without
// throwing can never commit a file that broke a rule: ObjectStore.put then
// writes nothing visible.

import { S3Error } from '../errors.js';
import { validChecksumValue } from '../body/body-plan.js';
import { type Checksum, type ChecksumAlgorithm, algorithmOfHeader, createChecksum, parseAlgorithm } from '../body/checksums.js';
import { type FormFields, fieldValue } from './post-fields.js';
import { type LengthRange, checkLength, tooLarge } from './post-policy.js';

export interface UploadRules {
  /** The policy's content-length-range, if any. */
  readonly range?: LengthRange;
  /** The gateway's largest object (S3: 5 GiB). */
  readonly maxBytes: number;
  /** The Content-MD5 field, decoded. */
  readonly contentMd5?: Buffer;
  /** An S3 checksum to compute, and the form's value to compare it with, if sent. */
  readonly checksum?: { readonly alg: ChecksumAlgorithm; readonly expected?: string };
}

export interface UploadResult {
  readonly size: number;
  readonly md5Hex: string;
  /** Lower-case algorithm → base64, as ObjectMeta stores it. */
  readonly checksums: Readonly<Record<string, string>>;
}

const NOT_CHECKSUM_VALUES = new Set(['x-amz-checksum-algorithm', 'x-amz-checksum-type']);

/**
 * Integrity fields of the form (AWS: "Content-MD5 ... Amazon S3 checks the
 * object against the provided MD5 value"; x-amz-checksum-<alg> and
 * x-amz-checksum-algorithm as for PutObject). A malformed Content-MD5 is
 * InvalidDigest; an unknown algorithm, two checksums, a malformed value or a
 * value disagreeing with x-amz-checksum-algorithm is InvalidRequest.
 */
export function uploadRules(fields: FormFields, range: LengthRange | undefined, maxBytes: number): UploadRules {
  let contentMd5: Buffer | undefined;
  const md5 = fieldValue(fields, 'content-md5');
  if (md5 !== undefined) {
    contentMd5 = Buffer.from(md5.trim(), 'base64');
    if (contentMd5.length !== 16 || contentMd5.toString('base64') !== md5.trim()) throw new S3Error('InvalidDigest');
  }
  let checksum: UploadRules['checksum'];
  for (const [name, f] of fields) {
    if (!name.startsWith('x-amz-checksum-') || NOT_CHECKSUM_VALUES.has(name)) continue;
    const alg = algorithmOfHeader(name);
    if (!alg) throw new S3Error('InvalidRequest', `The checksum field ${f.name.slice(0, 64)} names an unsupported algorithm.`);
    if (checksum) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- field. Multiple checksum Types are not allowed.');
    if (!validChecksumValue(alg, f.value.trim())) throw new S3Error('InvalidRequest', `Value for ${name} is invalid.`);
    checksum = { alg, expected: f.value.trim() };
  }
  const named = fieldValue(fields, 'x-amz-checksum-algorithm');
  if (named !== undefined) {
    const alg = parseAlgorithm(named);
    if (!alg || (checksum && checksum.alg !== alg)) throw new S3Error('InvalidRequest', 'Value for x-amz-checksum-algorithm is invalid.');
    checksum ??= { alg };
  }
  return { maxBytes, ...(range ? { range } : {}), ...(contentMd5 ? { contentMd5 } : {}), ...(checksum ? { checksum } : {}) };
}

export interface UploadBody {
  /** The file's bytes; ends only after every check passed, else throws (S3Error). */
  readonly stream: AsyncIterable<Buffer>;
  /** Valid once `stream` ended without throwing. */
  result(): UploadResult;
}

/**
 * Wraps the file stream. While streaming: over rules.range.max →
 * EntityTooLarge (policy message, MaxSizeAllowed), over rules.maxBytes →
 * EntityTooLarge. After the last byte, in order: `formEnd()` (the rest of
 * the form read and well-formed), size under the range's minimum →
 * EntityTooSmall, Content-MD5 → BadDigest, checksum → BadDigest.
 */
export function uploadBody(file: AsyncIterable<Buffer>, rules: UploadRules, formEnd: () => Promise<void>): UploadBody {
  let result: UploadResult | undefined;
  const max = Math.min(rules.maxBytes, rules.range?.max ?? Infinity);
  async function* run(): AsyncGenerator<Buffer> {
    const md5 = createChecksum('MD5');
    const sum: Checksum | undefined = rules.checksum ? createChecksum(rules.checksum.alg) : undefined;
    let size = 0;
    for await (const chunk of file) {
      size += chunk.length;
      if (size > max) throw rules.range && rules.range.max < rules.maxBytes ? tooLarge(rules.range.max) : new S3Error('EntityTooLarge', undefined, { MaxSizeAllowed: String(rules.maxBytes) });
      md5.update(chunk);
      sum?.update(chunk);
      yield chunk;
    }
    await formEnd();
    checkLength(rules.range, size);
    const digest = md5.digest();
    if (rules.contentMd5 && !rules.contentMd5.equals(digest)) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
        ExpectedDigest: rules.contentMd5.toString('base64'),
        CalculatedDigest: digest.toString('base64'),
      });
    }
    const checksums: Record<string, string> = {};
    if (rules.checksum && sum) {
      const computed = sum.digest().toString('base64');
      if (rules.checksum.expected !== undefined && rules.checksum.expected !== computed) {
        throw new S3Error('BadDigest', `The ${rules.checksum.alg} you specified did not match the calculated checksum.`);
      }
      checksums[rules.checksum.alg.toLowerCase()] = computed;
    }
    result = { size, md5Hex: digest.toString('hex'), checksums };
  }
  return {
    stream: run(),
    result() {
      if (!result) throw new Error('upload not fully read and verified');
      return result;
    },
  };
}
