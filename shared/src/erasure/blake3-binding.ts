// BLAKE3 from @napi-rs/blake-hash's native binary (why BLAKE3, and why this
// binary: block-hash.ts, README "Dependencies"). The binary is loaded from
// its platform package directly, not through the @napi-rs/blake-hash
// wrapper: the wrapper names fourteen platform packages as optional
// dependencies, the registry this project installs from carries only the
// Linux x64 ones, and `npm ci` refuses a lock that lacks the others. So the
// project depends (optionally: npm skips a package for another platform) on
// the Linux x64 binaries itself (blake3-packages.ts), and a process on a
// platform without one stops at start saying which package to install.

import { blake3Problem, loadBlake3 } from './blake3-packages.js';

const binding = loadBlake3();
if (!binding) throw new Error(blake3Problem()!);

export const { blake3, Blake3Hasher } = binding;
