// A GET's body read to its end without holding it: its length and SHA-256,
// for tests that check large objects come back whole.

import { createHash } from 'node:crypto';

export async function bodyDigest(body: AsyncIterable<Uint8Array>): Promise<{ readonly bytes: number; readonly sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: h.digest('hex') };
}
