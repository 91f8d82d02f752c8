// Reads a small request or response body fully, refusing more than `limit`
// bytes (bounded memory whatever a peer sends).

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

export async function readLimited(src: AsyncIterable<Buffer | Uint8Array>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of src) {
    n += chunk.length;
    if (n > limit) throw new BodyTooLargeError(`body larger than ${limit} bytes`);
    parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  }
  return Buffer.concat(parts, n);
}
