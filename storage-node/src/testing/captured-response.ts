// A stand-in for the ServerResponse a handler streams to (handleBlocks):
// it keeps the status, the headers and the body written, for tests.

import { Writable } from 'node:stream';

export class Captured extends Writable {
  status = 0;
  headers: Record<string, unknown> = {};
  readonly chunks: Buffer[] = [];
  writeHead(status: number, headers: Record<string, unknown>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
