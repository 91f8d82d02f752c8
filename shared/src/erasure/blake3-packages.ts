// Where BLAKE3's native binary comes from (blake3-binding.ts says why these
// packages), and what to say when none loads: kept apart from the binding so
// that the `powerstore` bin can ask before it loads anything that needs it,
// and answer in one line instead of a stack trace.

import { createRequire } from 'node:module';

export interface Blake3Hasher {
  update(input: Uint8Array): this;
  digestBuffer(): Buffer;
}

export interface Blake3Binding {
  blake3(input: Uint8Array): Buffer;
  readonly Blake3Hasher: new () => Blake3Hasher;
}

/** The platform packages, in the order tried (a glibc binary fails to load on musl, and the other way round). */
export const BLAKE3_PACKAGES: readonly string[] = ['@napi-rs/blake-hash-linux-x64-gnu', '@napi-rs/blake-hash-linux-x64-musl'];

const require = createRequire(import.meta.url);

/** The first of `packages` that loads and hashes; null when none does. */
export function loadBlake3(packages: readonly string[] = BLAKE3_PACKAGES): Blake3Binding | null {
  for (const name of packages) {
    try {
      const b = require(name) as Blake3Binding;
      b.blake3(Buffer.alloc(1));
      return b;
    } catch {
      // not installed here, or built for the other libc: try the next one
    }
  }
  return null;
}

/** Why this process cannot hash with BLAKE3, in one line; null when it can. */
export function blake3Problem(packages: readonly string[] = BLAKE3_PACKAGES): string | null {
  if (loadBlake3(packages)) return null;
  return `no BLAKE3 binary loads for ${process.platform}-${process.arch}: install @napi-rs/blake-hash's package for this platform (version 1.3.6); the lock holds ${packages.join(' and ')}`;
}
