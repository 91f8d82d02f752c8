// Whether a folder's filesystem takes O_DIRECT writes, found without
// direct-io.ts: from a WebAssembly memory, whose pages V8 also reserves
// page-aligned. Tests of direct I/O run where this says yes, and there the
// node's own probe must say yes too (so a bug in its aligned buffers fails
// them instead of skipping them).

import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** WebAssembly's Memory (this project's TypeScript lib has no WebAssembly types). */
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } }).WebAssembly;

export function filesystemTakesDirectIo(dir: string): boolean {
  const path = join(dir, '.direct-capable');
  const page = Buffer.from(new Memory({ initial: 1, maximum: 1 }).buffer, 0, 4096);
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT, 0o600);
    try {
      return writeSync(fd, page, 0, 4096, 0) === 4096;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  } finally {
    rmSync(path, { force: true });
  }
}
