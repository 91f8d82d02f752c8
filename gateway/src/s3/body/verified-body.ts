// The body layer handlers use (STYLE.md §10): a stream of the decoded payload
// bytes in which every check that needs the whole body runs before the stream
// reports done. A consumer written as
//     for await (const c of body.stream) store(c);
//     commit(body.result());
// can therefore never commit unverified data: a failed check throws from the
// last iteration instead of ending it.

import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors.js';
import type { AuthResult, PayloadMode } from '../auth/types.js';
import { AwsChunkedParser, decodeAwsChunked } from './aws-chunked.js';
import { type BodyPlan, planBody, validChecksumValue } from './body-plan.js';
import { type ChecksumAlgorithm, type DigestAlg, checksumHeader, digestAlgOf } from './checksums.js';
import type { Digester } from './digest-worker.js';

/** The request as the body layer needs it: an IncomingMessage fits. */
export interface BodySource extends AsyncIterable<Uint8Array> {
  readonly headers: IncomingHttpHeaders;
}

export interface BodyOptions {
  /** Largest payload accepted (decoded size); more → EntityTooLarge, as early as it is known. */
  readonly maxBytes: number;
  /** Where MD5 and the checksums are computed (a shared DigestPool in the gateway). */
  readonly digester: Digester;
  /** How fast the client must keep the body coming; absent: no time limit (unit tests). */
  readonly pace?: BodyPace;
  /** x-amz-checksum-* headers describe an object, not this body (CompleteMultipartUpload): not verified here. */
  readonly objectChecksums?: boolean;
}

/**
 * The client must keep a body moving (review F3, F5; S3 answers
 * RequestTimeout too). Only time spent waiting for the client counts: while
 * the gateway itself does not read (node backpressure), no clock runs.
 */
export interface BodyPace {
  /** Longest wait for the next bytes. */
  readonly idleMs: number;
  /** Average rate over the time waited for the client, required once graceMs were waited; 0: none. */
  readonly minBytesPerS: number;
  readonly graceMs: number;
}

export interface BodyResult {
  /** Decoded payload size in bytes. */
  readonly size: number;
  /** Hex MD5 of the payload: the ETag of a PUT or part. */
  readonly md5Hex: string;
  /**
   * Base64 checksums of the payload, each verified against the client's value
   * when it sent one (header or trailer); also present when only asked for by
   * x-amz-sdk-checksum-algorithm. At most one algorithm.
   */
  readonly checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

export interface VerifiedBody {
  /**
   * The decoded payload. Iterate once. A yielded byte is authentic only once
   * the stream has ended without throwing (signed aws-chunked bytes are
   * verified per chunk before they are yielded; everything else is checked at
   * the end). Breaking out early cancels all work.
   */
  readonly stream: AsyncIterable<Buffer>;
  /** Only after the stream completed without throwing; throws Error otherwise. */
  result(): BodyResult;
  /** The payload's size as the headers declared it, if they did (the stream checks it). */
  readonly declaredSize: number | undefined;
}

/**
 * Opens a request body for reading. Header-level problems throw here at once
 * (see planBody); everything else throws from the stream:
 *  - client disconnect / fewer bytes than Content-Length → IncompleteBody
 *  - no bytes for opts.pace.idleMs, or slower than its minimum rate → RequestTimeout
 *  - payload over opts.maxBytes → EntityTooLarge
 *  - aws-chunked framing, chunk and trailer signatures (aws-chunked.ts)
 *  - and, before the stream's last iteration ends: x-amz-content-sha256 →
 *    XAmzContentSHA256Mismatch, Content-MD5 → BadDigest, x-amz-checksum-* → BadDigest.
 * No work starts (no worker job) until the stream is first iterated.
 *
 * On failure the request is left undrained and is not destroyed (destroying
 * an IncomingMessage destroys its socket before the error can be answered):
 * the HTTP layer answers the error, then drains (`req.resume()`) or closes.
 */
export function openBody(req: BodySource, auth: Pick<AuthResult, 'payload'>, opts: BodyOptions): VerifiedBody {
  const plan = planBody(req.headers, auth.payload, opts.maxBytes, opts.objectChecksums ?? false);
  let result: BodyResult | undefined;
  const stream = run(req, auth, plan, opts, (r) => (result = r));
  return {
    stream,
    declaredSize: plan.framing === 'aws-chunked' ? plan.decodedLength : plan.contentLength,
    result() {
      if (!result) throw new Error('request body not fully read and verified');
      return result;
    },
  };
}

async function* run(
  req: BodySource,
  auth: Pick<AuthResult, 'payload'>,
  plan: BodyPlan,
  opts: BodyOptions,
  done: (r: BodyResult) => void,
): AsyncGenerator<Buffer, void, undefined> {
  const payload = auth.payload;
  const algs: DigestAlg[] = ['md5'];
  if (payload.kind === 'sha256') algs.push('sha256');
  if (plan.checksum) algs.push(digestAlgOf(plan.checksum.alg));

  const parser = plan.framing === 'aws-chunked'
    ? new AwsChunkedParser({
      trailer: payload.kind === 'streaming-unsigned-trailer' || (payload.kind === 'streaming-signed' && payload.trailer),
      declaredTrailers: plan.declaredTrailers,
      ...(payload.kind === 'streaming-signed' ? { signing: payload } : {}),
      ...(plan.decodedLength !== undefined ? { decodedLength: plan.decodedLength } : {}),
    })
    : undefined;
  const raw = wireBytes(req, plan.contentLength, opts.pace);
  const bytes = parser ? decodeAwsChunked(raw, parser) : raw;

  const job = opts.digester.start(algs);
  let finished = false;
  try {
    let size = 0;
    for await (const piece of bytes) {
      size += piece.length;
      if (size > opts.maxBytes) throw new S3Error('EntityTooLarge');
      await job.update(piece);
      yield piece;
    }
    const d = await job.digest();
    finished = true;
    done({ size, md5Hex: d.md5.toString('hex'), checksums: checkDigests(payload, plan, parser, d) });
  } finally {
    if (!finished) job.cancel();
  }
}

/**
 * The end-of-body checks, in this order: payload SHA-256 (the signed
 * claim), Content-MD5, then the S3 checksum. Returns the checksums to report.
 */
function checkDigests(
  payload: PayloadMode,
  plan: BodyPlan,
  parser: AwsChunkedParser | undefined,
  d: Partial<Record<DigestAlg, Buffer>>,
): Partial<Record<ChecksumAlgorithm, string>> {
  const sha256 = d.sha256?.toString('hex') ?? '';
  if (payload.kind === 'sha256' && sha256 !== payload.hex) {
    throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: payload.hex, S3ComputedContentSHA256: sha256 });
  }
  const md5 = d.md5 ?? Buffer.alloc(0);
  if (plan.contentMd5 && !plan.contentMd5.equals(md5)) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
      ExpectedDigest: plan.contentMd5.toString('base64'),
      CalculatedDigest: md5.toString('base64'),
    });
  }
  if (!plan.checksum) return {};
  const alg = plan.checksum.alg;
  const computed = d[digestAlgOf(alg)]?.toString('base64') ?? '';
  const claimed = plan.checksum.source === 'trailer' ? trailerValue(parser, alg) : plan.checksum.value;
  if (claimed !== undefined && claimed !== computed) {
    throw new S3Error('BadDigest', `The ${alg} you specified did not match the calculated checksum.`);
  }
  return { [alg]: computed };
}

function trailerValue(parser: AwsChunkedParser | undefined, alg: ChecksumAlgorithm): string | undefined {
  const name = checksumHeader(alg);
  const v = parser?.trailers.get(name);
  if (v !== undefined && !validChecksumValue(alg, v)) throw new S3Error('InvalidRequest', `Value for ${name} trailing header is invalid.`);
  return v;
}

/** Readable streams (IncomingMessage) can be iterated without being destroyed on early exit. */
interface IterableReadable {
  iterator(opts: { destroyOnReturn: boolean }): AsyncIterator<Uint8Array>;
}

/**
 * The bytes on the wire, counted against Content-Length. A source error that
 * is not already an S3Error (client disconnect: 'aborted', ECONNRESET,
 * premature close) and a short body are IncompleteBody.
 *
 * On early exit a Readable source is released but not destroyed: destroying
 * an IncomingMessage would destroy its socket before the error response is
 * written. The HTTP layer decides whether to drain or close after answering.
 */
async function* wireBytes(source: AsyncIterable<Uint8Array>, contentLength: number | undefined, pace?: BodyPace): AsyncGenerator<Buffer, void, undefined> {
  const readable = source as Partial<IterableReadable>;
  const it = typeof readable.iterator === 'function'
    ? readable.iterator({ destroyOnReturn: false })
    : source[Symbol.asyncIterator]();
  const incomplete = () => new S3Error('IncompleteBody');
  let n = 0;
  let ended = false;
  let waitedMs = 0;
  try {
    while (true) {
      let r: IteratorResult<Uint8Array>;
      const since = performance.now();
      try {
        r = pace ? await within(it.next(), pace.idleMs) : await it.next();
      } catch (e) {
        // A failed source needs no release; a stalled one cannot be released
        // (its iterator's return() would wait behind the pending read): the
        // HTTP layer answers and closes the connection, which ends the read.
        ended = true;
        throw e instanceof S3Error ? e : incomplete();
      }
      waitedMs += performance.now() - since;
      if (r.done) {
        ended = true;
        break;
      }
      const c = r.value;
      n += c.byteLength;
      if (contentLength !== undefined && n > contentLength) throw incomplete();
      if (pace && tooSlow(n, waitedMs, pace)) throw new S3Error('RequestTimeout');
      yield Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    }
  } finally {
    if (!ended) await it.return?.();
  }
  if (contentLength !== undefined && n < contentLength) throw incomplete();
}

/** Whether `bytes` over `waitedMs` of waiting for the client fall below the pace's minimum rate (after its grace). */
export function tooSlow(bytes: number, waitedMs: number, pace: BodyPace): boolean {
  return pace.minBytesPerS > 0 && waitedMs > pace.graceMs && bytes < (pace.minBytesPerS * waitedMs) / 1000;
}

/** `read`, or RequestTimeout if it takes longer than `ms` (the read is left pending; its failure is ignored). */
async function within<T>(read: Promise<T>, ms: number): Promise<T> {
  read.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new S3Error('RequestTimeout')), ms);
  });
  try {
    return await Promise.race([read, idle]);
  } finally {
    clearTimeout(timer);
  }
}
