// Whether a folder's filesystem takes O_DIRECT writes, found without the
// node's aligned buffers: from a WebAssembly memory, whose pages V8 also
// reserves page-aligned. Tests of direct I/O run where this says yes, and
// there the node's own probe must say yes too (so a bug in its aligned
// buffers fails them instead of skipping them).

import { DIRECT_ALIGN, directWriteWorks } from '../store/direct-io.js';

/** WebAssembly's Memory (this project's TypeScript lib has no WebAssembly types). */
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } }).WebAssembly;

export function filesystemTakesDirectIo(dir: string): boolean {
  return directWriteWorks(dir, Buffer.from(new Memory({ initial: 1, maximum: 1 }).buffer, 0, DIRECT_ALIGN));
}
