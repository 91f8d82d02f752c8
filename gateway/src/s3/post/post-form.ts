// Streaming reader of a PostObject multipart/form-data body, over busboy.
// The text fields before the part named `file` are collected (bounded);
// the file part is handed over as a stream (never buffered whole); parts
// after it are read and ignored, as S3 does ("fields after the file are
// ignored"), but the form must still end properly before the upload may
// commit. AWS: https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
// and https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html
// ("Form data and boundaries (excluding the contents of the file) cannot
// exceed 20 KB").

import busboy from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { S3Error } from '../errors.js';
import type { FormField, FormFields } from './post-fields.js';
import { malformedPost, notOneFile, preDataTooLarge } from './post-errors.js';
import { formBoundary, untilCloseDelimiter } from './form-epilogue.js';

export interface FormLimits {
  /** Names and values of all fields before the file, together (AWS: 20 KB). */
  readonly preDataBytes: number;
  /** Text parts in the whole form (before or after the file). */
  readonly fields: number;
  /** Request bytes read and discarded after a failure, so that a small error answer is not lost to a reset. */
  readonly drainBytes: number;
  readonly drainMs: number;
  /**
   * Request bytes read before the file part begins (fields, boundaries, part
   * headers, a preamble): the form is not yet authenticated, so this is
   * what anyone may send. AWS counts 20 KB for fields and boundaries; this
   * leaves room for part headers.
   */
  readonly headBytes: number;
  /** Time for the file part to begin (review F5: anonymous forms trickled a byte at a time); absent: none. */
  readonly headMs?: number;
}

export const FORM_LIMITS: FormLimits = { preDataBytes: 20 * 1024, fields: 64, drainBytes: 1024 * 1024, drainMs: 2000, headBytes: 64 * 1024 };

export interface FilePart {
  /** The file's bytes; iterate once. Throws the form's failure (an S3Error) if the request breaks off. */
  readonly stream: AsyncIterable<Buffer>;
  /** The part's file name, cut after its last `/` or `\`; '' when none was sent. */
  readonly filename: string;
  /**
   * The part's Content-Type. Undefined when it was text/plain, which busboy
   * also reports for a part that named no type: the two cannot be told apart.
   */
  readonly contentType: string | undefined;
}

export interface FormHead {
  /** The text fields that came before the file. */
  readonly fields: FormFields;
  readonly file: FilePart;
}

export interface PostForm {
  /**
   * The fields before the file and the file part, once the file part
   * begins. Rejects with an S3Error: a form without a `file` part
   * (InvalidArgument), fields over the limits, a repeated field name, a
   * malformed body, or the body layer's error (e.g. IncompleteBody).
   */
  head(): Promise<FormHead>;
  /**
   * After the file stream was read to its end: resolves once the rest of
   * the request was read and the form closed properly; rejects otherwise
   * (also for a second `file` part).
   */
  end(): Promise<void>;
  /**
   * Stops parsing. Reads and discards what is left of the request, at most
   * drainBytes during at most drainMs, so that the error answer reaches a
   * client still sending a small form. Idempotent.
   */
  abandon(): Promise<void>;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // The caller may never ask (e.g. end() after a failed head()).
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Whether a Content-Type header announces multipart/form-data. */
export function isMultipartForm(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*multipart\/form-data\s*(;|$)/i.test(contentType);
}

/**
 * Starts parsing `body` (the request's verified byte stream) at once.
 * Throws MalformedPOSTRequest at once when busboy refuses the headers (no boundary).
 */
export function readPostForm(headers: IncomingHttpHeaders, body: AsyncIterable<Buffer>, limits: FormLimits = FORM_LIMITS): PostForm {
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers,
      defParamCharset: 'utf8',
      highWaterMark: 256 * 1024,
      fileHwm: 256 * 1024,
      limits: { fieldNameSize: limits.preDataBytes, fieldSize: limits.preDataBytes, fields: limits.fields, parts: limits.fields + 2 },
    });
  } catch {
    throw malformedPost();
  }
  const boundary = formBoundary(String(headers['content-type'] ?? ''));
  return new FormReader(bb, boundary === undefined ? body : untilCloseDelimiter(body, boundary), limits);
}

/** One form being read: busboy's events in, head/end promises out. The first failure wins. */
class FormReader implements PostForm {
  readonly #head = deferred<FormHead>();
  readonly #ended = deferred<void>();
  readonly #fields = new Map<string, FormField>();
  /** Parts with a file name but not named `file`, being read as fields. */
  readonly #pending: Promise<void>[] = [];
  readonly #feeding: Promise<void>;
  #preData = 0;
  #failure: S3Error | undefined;
  #file: FilePart | undefined;
  #abandoned = false;
  /** Wakes the feeder waiting for busboy to drain. */
  #wake: (() => void) | undefined;
  /** Ends the wait for the file part (limits.headMs). */
  #deadline: NodeJS.Timeout | undefined;

  constructor(private readonly bb: busboy.Busboy, body: AsyncIterable<Buffer>, private readonly limits: FormLimits) {
    bb.on('field', (name, value, info) => this.#onField(name, value, info));
    bb.on('file', (name, stream, info) => this.#onFile(name, stream, info));
    bb.on('fieldsLimit', () => this.#fail(preDataTooLarge()));
    bb.on('partsLimit', () => this.#fail(preDataTooLarge()));
    bb.on('error', () => this.#fail(malformedPost()));
    bb.on('close', () => {
      if (this.#failure || this.#abandoned) return;
      if (!this.#file) this.#fail(notOneFile(0));
      else this.#ended.resolve();
    });
    if (limits.headMs !== undefined) this.#deadline = setTimeout(() => this.#fail(new S3Error('RequestTimeout')), limits.headMs);
    this.#feeding = this.#feed(body);
  }

  head(): Promise<FormHead> {
    return this.#head.promise;
  }

  end(): Promise<void> {
    return this.#ended.promise;
  }

  async abandon(): Promise<void> {
    if (!this.#abandoned) {
      this.#abandoned = true;
      clearTimeout(this.#deadline);
      this.#head.reject(new Error('form abandoned'));
      this.#ended.reject(new Error('form abandoned'));
      this.bb.destroy();
      this.#wake?.();
    }
    const ac = new AbortController();
    await Promise.race([this.#feeding, delay(this.limits.drainMs, undefined, { signal: ac.signal, ref: false }).catch(() => undefined)]);
    ac.abort();
  }

  #fail(e: S3Error): void {
    if (this.#failure) return;
    this.#failure = e;
    clearTimeout(this.#deadline);
    this.#head.reject(e);
    this.#ended.reject(e);
    // Destroying with the error also errors a file stream being read.
    this.bb.destroy(e);
    this.#wake?.();
  }

  #addField(name: string, value: string): void {
    const lower = name.toLowerCase();
    this.#preData += Buffer.byteLength(name) + Buffer.byteLength(value);
    if (this.#preData > this.limits.preDataBytes) return this.#fail(preDataTooLarge());
    // DEVIATION (AWS's answer is not documented): a repeated field is refused,
    // so that the policy and the handler can never read different copies.
    if (this.#fields.has(lower)) {
      return this.#fail(new S3Error('InvalidArgument', `The form field '${name.slice(0, 64)}' appears more than once.`, { ArgumentName: name.slice(0, 64) }));
    }
    this.#fields.set(lower, { name, value });
  }

  #onField(name: string, value: string, info: busboy.FieldInfo): void {
    const lower = name.toLowerCase();
    if (this.#file) {
      if (lower === 'file') this.#fail(notOneFile(2));
      return; // after the file: ignored, as S3 does
    }
    if (info.nameTruncated || info.valueTruncated) return this.#fail(preDataTooLarge());
    // AWS: "file: File or text content". DEVIATION: text content is bounded
    // by the field limit and re-encoded as UTF-8.
    if (lower === 'file') return this.#beginFile(Readable.from([Buffer.from(value, 'utf8')]), '', undefined);
    this.#addField(name, value);
  }

  #onFile(name: string, stream: Readable, info: busboy.FileInfo): void {
    // A failure destroys the part being read with the error: whoever reads
    // the stream sees it; nobody else must crash the process with it.
    stream.on('error', () => undefined);
    const lower = name.toLowerCase();
    if (this.#file) {
      stream.resume();
      if (lower === 'file') this.#fail(notOneFile(2));
      return;
    }
    if (lower !== 'file') {
      this.#pending.push(this.#readAsField(name, stream));
      return;
    }
    // busboy says text/plain also for a part that named no type.
    this.#beginFile(stream, info.filename ?? '', info.mimeType === 'text/plain' ? undefined : info.mimeType);
  }

  #beginFile(stream: AsyncIterable<unknown>, filename: string, contentType: string | undefined): void {
    const file: FilePart = { stream: this.#fileBytes(stream), filename, contentType };
    this.#file = file;
    clearTimeout(this.#deadline);
    void Promise.all(this.#pending).then(() => this.#head.resolve({ fields: this.#fields, file }));
  }

  async *#fileBytes(stream: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (e) {
      throw this.#failure ?? (e instanceof S3Error ? e : malformedPost());
    }
  }

  /** A part with a file name but another name than `file`: an ordinary field to S3. */
  async #readAsField(name: string, stream: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const c of stream) {
        n += (c as Buffer).length;
        if (n > this.limits.preDataBytes) return this.#fail(preDataTooLarge());
        chunks.push(c as Buffer);
      }
    } catch {
      return this.#fail(this.#failure ?? malformedPost());
    }
    this.#addField(name, Buffer.concat(chunks).toString('utf8'));
  }

  /** Resolves when busboy can take more, or has closed, or the form was given up. */
  #writable(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.bb.off('drain', done);
        this.bb.off('close', done);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      this.bb.on('drain', done);
      this.bb.on('close', done);
    });
  }

  /** Writes the body into busboy with backpressure; after a failure, discards at most drainBytes more. */
  async #feed(body: AsyncIterable<Buffer>): Promise<void> {
    let discarded = 0;
    let beforeFile = 0;
    try {
      for await (const chunk of body) {
        if (this.#abandoned || this.#failure) {
          discarded += chunk.length;
          if (discarded > this.limits.drainBytes) break;
          continue;
        }
        if (!this.#file) {
          if (beforeFile > this.limits.headBytes) {
            this.#fail(preDataTooLarge());
            continue;
          }
          beforeFile += chunk.length;
        }
        if (!this.bb.write(chunk)) await this.#writable();
      }
      if (!this.#abandoned && !this.#failure) this.bb.end();
    } catch (e) {
      this.#fail(e instanceof S3Error ? e : malformedPost());
    }
  }
}
