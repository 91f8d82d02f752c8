// BLAKE3 from @napi-rs/blake-hash's native binary (why BLAKE3, and why this
// binary: block-hash.ts, README "Dependencies"). The binary is loaded from
// its platform package directly, not through the @napi-rs/blake-hash
// wrapper: the wrapper names fourteen platform packages as optional
// dependencies, the registry this project installs from carries only the
// Linux x64 ones, and `npm ci` refuses a lock that lacks the others. So the
// project depends (optionally: npm skips a package for another platform) on
// the Linux x64 binaries itself, and a process on a platform without one
// stops at start with one line saying which package to install.

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

function load(): Blake3Binding {
  const require = createRequire(import.meta.url);
  for (const name of BLAKE3_PACKAGES) {
    try {
      return require(name) as Blake3Binding;
    } catch {
      // not installed here, or built for the other libc: try the next one
    }
  }
  throw new Error(`no BLAKE3 binary for ${process.platform}-${process.arch}: install @napi-rs/blake-hash's package for this platform (version 1.3.6); the lock holds ${BLAKE3_PACKAGES.join(' and ')}`);
}

export const { blake3, Blake3Hasher } = load();
