// Framing of a streamed store request (DESIGN §7, "Streaming store"): one
// HTTP request per node carries OPEN (register and block size), the fragment
// as DATA frames, then COMMIT (the store message). A frame is
// [type u8][length u32 BE][payload]. The decoder hands DATA payloads through
// in pieces as they arrive (never buffering a whole fragment) and buffers
// only the small JSON frames, up to a limit.

export const FRAME_OPEN = 1;
export const FRAME_DATA = 2;
export const FRAME_COMMIT = 3;
const HEADER = 5;
/** Largest DATA frame an encoder emits and a decoder accepts. */
export const MAX_DATA_FRAME = 16 * 1024 * 1024;

export function frameHeader(type: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER);
  h.writeUInt8(type, 0);
  h.writeUInt32BE(length, 1);
  return h;
}

export type FrameEvent =
  | { readonly type: 'open'; readonly json: Buffer }
  | { readonly type: 'data'; readonly chunk: Buffer }
  | { readonly type: 'commit'; readonly json: Buffer };

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

export class FrameDecoder {
  private header = Buffer.alloc(0);
  private type = 0;
  private remaining = -1; // -1: reading a header
  private json: Buffer[] = [];

  constructor(private readonly maxJson: number) {}

  /** Feeds bytes; returns the events they complete, in order. */
  push(chunk: Buffer): FrameEvent[] {
    const out: FrameEvent[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.remaining < 0) {
        const need = HEADER - this.header.length;
        const take = Math.min(need, chunk.length - off);
        this.header = Buffer.concat([this.header, chunk.subarray(off, off + take)]);
        off += take;
        if (this.header.length < HEADER) break;
        this.type = this.header.readUInt8(0);
        this.remaining = this.header.readUInt32BE(1);
        this.header = Buffer.alloc(0);
        if (this.type === FRAME_DATA) {
          if (this.remaining > MAX_DATA_FRAME) throw new FrameError('data frame too large');
        } else if (this.type === FRAME_OPEN || this.type === FRAME_COMMIT) {
          if (this.remaining > this.maxJson) throw new FrameError('control frame too large');
        } else {
          throw new FrameError(`unknown frame type ${this.type}`);
        }
        if (this.remaining === 0) this.endFrame(out);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - off);
      const piece = chunk.subarray(off, off + take);
      off += take;
      this.remaining -= take;
      if (this.type === FRAME_DATA) out.push({ type: 'data', chunk: piece });
      else this.json.push(piece);
      if (this.remaining === 0) this.endFrame(out);
    }
    return out;
  }

  /** True when the input ended cleanly between frames. */
  get atBoundary(): boolean {
    return this.remaining < 0 && this.header.length === 0;
  }

  private endFrame(out: FrameEvent[]): void {
    if (this.type === FRAME_OPEN) out.push({ type: 'open', json: Buffer.concat(this.json) });
    else if (this.type === FRAME_COMMIT) out.push({ type: 'commit', json: Buffer.concat(this.json) });
    this.json = [];
    this.remaining = -1;
  }
}
