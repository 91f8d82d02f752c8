// Streaming decoder of aws-chunked bodies (wire-formats.md §4):
//   unsigned + trailer   STREAMING-UNSIGNED-PAYLOAD-TRAILER       `<hex>\r\n<data>\r\n … 0\r\n<name>:<b64>\r\n\r\n`
//   signed               STREAMING-AWS4-HMAC-SHA256-PAYLOAD        `<hex>;chunk-signature=<sig>\r\n<data>\r\n … 0;chunk-signature=<sig>\r\n\r\n`
//   signed + trailer     STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  as signed, then trailers and `x-amz-trailer-signature:<sig>\r\n\r\n`
// AWS references: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html,
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
//
// Guarantees: memory is bounded whatever the body size — header and trailer
// lines are capped (MAX_CHUNK_LINE, MAX_TRAILER_LINE, MAX_TRAILERS), unsigned
// data passes through as slices of the input, and a signed chunk (≤
// maxSignedChunk bytes) is held only until its signature verified: no byte
// of a signed chunk is released before that. Errors are S3Errors:
// truncation or a length different from x-amz-decoded-content-length →
// IncompleteBody; bad framing → InvalidRequest; wrong chunk or trailer
// signature → SignatureDoesNotMatch.
//
// The trailer signature covers `name:value\n` for each trailer, sorted by
// name (one trailer in practice), chained from the final chunk's signature.
// Deliberate tolerance: input ending right after complete trailer lines,
// without the final empty line, is accepted (the trailers are all there and,
// when signed, verified).

import { createHash, type Hash } from 'node:crypto';
import { S3Error } from '../errors.js';
import { EMPTY_SHA256_HEX, hmacSha256, sameSignature, sha256Hex } from '../auth/crypto.js';
import type { ChunkSigning } from '../auth/types.js';

export const MAX_CHUNK_LINE = 256;
export const MAX_TRAILER_LINE = 1024;
export const MAX_TRAILERS = 8;
/** Deliberate limit (AWS documents none): minio-go uses 64 KiB chunks, AWS SDKs 64-128 KiB. */
export const DEFAULT_MAX_SIGNED_CHUNK = 16 * 1024 * 1024;

export interface AwsChunkedOptions {
  /** Present for the signed variants: chunk signatures chain from signing.seedSignature. */
  readonly signing?: ChunkSigning;
  /** Whether trailer lines may follow the final chunk (the `-TRAILER` variants). */
  readonly trailer: boolean;
  /** Lower-case trailer names announced in x-amz-trailer; any other trailer is refused, each must arrive. */
  readonly declaredTrailers: readonly string[];
  /** x-amz-decoded-content-length, when the client sent it. */
  readonly decodedLength?: number;
  readonly maxSignedChunk?: number;
}

type State = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

const framing = (msg: string) => new S3Error('InvalidRequest', `Malformed aws-chunked body: ${msg}.`);

/**
 * The synchronous core: feed() the raw body in any split, get back payload
 * pieces that are safe to release; end() at end of input. Pieces are views of
 * the input buffers (no copy).
 */
export class AwsChunkedParser {
  /** Trailer values by lower-case name (x-amz-trailer-signature excluded), once done. */
  readonly trailers = new Map<string, string>();
  /** Payload bytes released or held so far. */
  decoded = 0;

  readonly #o: AwsChunkedOptions;
  readonly #maxSigned: number;
  #state: State = 'size';
  #line = Buffer.allocUnsafe(MAX_TRAILER_LINE + 1); // + the CR
  #lineLen = 0;
  #remaining = 0;
  #prevSignature: string;
  #chunkSignature = '';
  #chunkHash: Hash | undefined;
  #held: Buffer[] = [];
  #trailerSignature: string | undefined;

  constructor(opts: AwsChunkedOptions) {
    this.#o = opts;
    this.#maxSigned = opts.maxSignedChunk ?? DEFAULT_MAX_SIGNED_CHUNK;
    this.#prevSignature = opts.signing?.seedSignature ?? '';
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  feed(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < buf.length) {
      switch (this.#state) {
        case 'size':
        case 'trailer': {
          const max = this.#state === 'size' ? MAX_CHUNK_LINE : MAX_TRAILER_LINE;
          const r = this.#readLine(buf, pos, max);
          pos = r.pos;
          if (r.line === undefined) break;
          if (this.#state === 'size') this.#onChunkHeader(r.line);
          else this.#onTrailerLine(r.line);
          break;
        }
        case 'data': {
          const n = Math.min(this.#remaining, buf.length - pos);
          const piece = buf.subarray(pos, pos + n);
          pos += n;
          this.#remaining -= n;
          this.decoded += n;
          if (this.#o.signing) {
            this.#chunkHash?.update(piece);
            this.#held.push(piece);
          } else {
            out.push(piece);
          }
          if (this.#remaining === 0) {
            if (this.#o.signing) {
              this.#verifyChunk(this.#chunkHash?.digest('hex') ?? EMPTY_SHA256_HEX);
              out.push(...this.#held);
              this.#held = [];
            }
            this.#state = 'data-cr';
          }
          break;
        }
        case 'data-cr':
        case 'data-lf': {
          const want = this.#state === 'data-cr' ? 0x0d : 0x0a;
          if (buf[pos] !== want) throw framing('chunk data longer than its size, or not followed by CRLF');
          pos++;
          this.#state = this.#state === 'data-cr' ? 'data-lf' : 'size';
          break;
        }
        case 'done':
          throw framing('data after the final chunk');
      }
    }
    return out;
  }

  /** Call at end of input. Throws IncompleteBody unless the body was complete. */
  end(): void {
    // Tolerated: input ending right after the trailer lines without the final empty line.
    if (this.#state === 'trailer' && this.#lineLen === 0 && this.trailers.size > 0) this.#finish();
    if (this.#state !== 'done') {
      throw new S3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk.');
    }
  }

  /** Accumulates one CRLF-terminated line of at most `max` bytes; line is undefined until complete. */
  #readLine(buf: Buffer, pos: number, max: number): { line?: string; pos: number } {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl < 0 ? buf.length : nl;
    if (this.#lineLen + (end - pos) > max + 1) {
      throw framing(this.#state === 'size' ? 'chunk header line too long' : 'trailer line too long');
    }
    buf.copy(this.#line, this.#lineLen, pos, end);
    this.#lineLen += end - pos;
    if (nl < 0) return { pos: buf.length };
    const len = this.#lineLen;
    this.#lineLen = 0;
    if (len === 0 || this.#line[len - 1] !== 0x0d) throw framing('line not terminated by CRLF');
    return { line: this.#line.toString('latin1', 0, len - 1), pos: nl + 1 };
  }

  #onChunkHeader(line: string): void {
    const m = /^([0-9a-fA-F]{1,12})(?:;(.*))?$/.exec(line);
    if (!m) throw framing('bad chunk size line');
    const size = parseInt(m[1] ?? '', 16);
    if (this.#o.signing) {
      const sig = /^chunk-signature=(\S+)$/.exec(m[2] ?? '')?.[1];
      if (sig === undefined) throw framing('signed chunk without chunk-signature');
      if (size > this.#maxSigned) throw framing(`signed chunk larger than ${this.#maxSigned} bytes`);
      this.#chunkSignature = sig;
      this.#chunkHash = size > 0 ? createHash('sha256') : undefined;
    }
    const declared = this.#o.decodedLength;
    if (declared !== undefined && this.decoded + size > declared) {
      throw new S3Error('IncompleteBody', 'The aws-chunked body is longer than x-amz-decoded-content-length.');
    }
    if (size > 0) {
      this.#remaining = size;
      this.#state = 'data';
      return;
    }
    if (this.#o.signing) this.#verifyChunk(EMPTY_SHA256_HEX);
    if (declared !== undefined && this.decoded !== declared) {
      throw new S3Error('IncompleteBody', 'The aws-chunked body is shorter than x-amz-decoded-content-length.');
    }
    this.#state = 'trailer';
  }

  /** Chunk string-to-sign (wire-formats.md §4), chained from the previous signature. */
  #verifyChunk(dataHashHex: string): void {
    const s = this.#o.signing;
    if (!s) return;
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', s.amzDate, s.scope, this.#prevSignature, EMPTY_SHA256_HEX, dataHashHex].join('\n');
    if (!sameSignature(hmacSha256(s.signingKey, toSign).toString('hex'), this.#chunkSignature)) {
      throw new S3Error('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.');
    }
    this.#prevSignature = this.#chunkSignature;
  }

  #onTrailerLine(line: string): void {
    if (line === '') {
      this.#finish();
      return;
    }
    if (!this.#o.trailer) throw framing('trailer after the final chunk of a body without x-amz-trailer');
    const colon = line.indexOf(':');
    if (colon <= 0) throw framing('bad trailer line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature' && this.#o.signing) {
      if (this.#trailerSignature !== undefined) throw framing('repeated x-amz-trailer-signature');
      this.#trailerSignature = value;
      return;
    }
    if (!this.#o.declaredTrailers.includes(name)) throw framing(`trailer ${name.slice(0, 64)} not announced in x-amz-trailer`);
    if (this.trailers.has(name)) throw framing(`repeated trailer ${name}`);
    if (this.trailers.size >= MAX_TRAILERS) throw framing('too many trailers');
    this.trailers.set(name, value);
  }

  /** End of the trailer section: verify the trailer signature (signed variant), require announced trailers. */
  #finish(): void {
    const s = this.#o.signing;
    if (s && this.#o.trailer) {
      const canonical = [...this.trailers].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([n, v]) => `${n}:${v}\n`).join('');
      const toSign = ['AWS4-HMAC-SHA256-TRAILER', s.amzDate, s.scope, this.#prevSignature, sha256Hex(canonical)].join('\n');
      if (this.#trailerSignature === undefined || !sameSignature(hmacSha256(s.signingKey, toSign).toString('hex'), this.#trailerSignature)) {
        throw new S3Error('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.');
      }
    }
    for (const name of this.#o.declaredTrailers) {
      if (!this.trailers.has(name)) throw framing(`announced trailer ${name} missing`);
    }
    this.#state = 'done';
  }
}

/** Decodes an aws-chunked byte stream with `parser`; yields verified payload bytes; throws S3Error. */
export async function* decodeAwsChunked(source: AsyncIterable<Uint8Array>, parser: AwsChunkedParser): AsyncGenerator<Buffer, void, undefined> {
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (const piece of parser.feed(buf)) yield piece;
  }
  parser.end();
}
