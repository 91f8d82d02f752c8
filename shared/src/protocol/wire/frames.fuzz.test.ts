// Property-based tests of the streamed-store frame decoder: any bytes in
// any split give events or a FrameError, never anything else, and the JSON
// frames it buffers stay within the limit; frames encoded with frameHeader
// decode to the same frames in any split (DATA payloads concatenated).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, FrameDecoder, FrameError, type FrameEvent, frameHeader } from './frames.js';

const runs = (n: number) => n * Math.max(1, Math.round(Number(process.env.FUZZ_SCALE ?? '1') || 1));
const MAX_JSON = 256;

function feed(body: Buffer, cuts: readonly number[]): { events: FrameEvent[]; decoder: FrameDecoder } | undefined {
  const decoder = new FrameDecoder(MAX_JSON);
  const events: FrameEvent[] = [];
  const at = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  try {
    for (const c of [...at, body.length]) {
      events.push(...decoder.push(body.subarray(prev, c)));
      prev = c;
    }
  } catch (e) {
    assert.ok(e instanceof FrameError, `expected a FrameError, got ${String(e)}`);
    return undefined;
  }
  return { events, decoder };
}

type Frame = { type: number; payload: Buffer };
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constant(FRAME_DATA), payload: fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a)) }),
  fc.record({ type: fc.constantFrom(FRAME_OPEN, FRAME_COMMIT), payload: fc.string({ maxLength: MAX_JSON }).map((s) => Buffer.from(s).subarray(0, MAX_JSON)) }),
);
const encode = (fs: readonly Frame[]) => Buffer.concat(fs.flatMap((f) => [frameHeader(f.type, f.payload.length), f.payload]));

describe('FrameDecoder (fuzz)', () => {
  it('any bytes in any split: events or a FrameError; control frames never exceed the limit', () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      fc.array(frameArb, { maxLength: 4 }).chain((fs) => fc.tuple(fc.constant(encode(fs)), fc.nat(), fc.nat({ max: 255 })))
        .map(([b, at, x]) => { const c = Buffer.from(b); if (c.length) c[at % c.length] = (c[at % c.length] ?? 0) ^ x; return c; }),
    );
    fc.assert(fc.property(body, fc.array(fc.nat(), { maxLength: 6 }), (b, cuts) => {
      const r = feed(b, cuts);
      for (const e of r?.events ?? []) if (e.type !== 'data') assert.ok(e.json.length <= MAX_JSON);
    }), { numRuns: runs(2000) });
  });

  it('round trip: encoded frames decode to the same frames in any split, and end on a boundary', () => {
    fc.assert(fc.property(fc.array(frameArb, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (fs, cuts) => {
      const r = feed(encode(fs), cuts);
      assert.ok(r);
      assert.equal(r.decoder.atBoundary, true);
      // A DATA frame arrives in pieces (an empty one as none): compare the data bytes between control frames.
      const got: Frame[] = r.events.map((e) => (e.type === 'data'
        ? { type: FRAME_DATA, payload: e.chunk }
        : { type: e.type === 'open' ? FRAME_OPEN : FRAME_COMMIT, payload: e.json }));
      const squash = (list: readonly Frame[]) => {
        const out: string[] = [];
        let data = '';
        for (const f of list) {
          if (f.type === FRAME_DATA) data += f.payload.toString('hex');
          else { out.push(`D${data}`, `${f.type}:${f.payload.toString('hex')}`); data = ''; }
        }
        out.push(`D${data}`);
        return out;
      };
      assert.deepEqual(squash(got), squash(fs));
    }), { numRuns: runs(1000) });
  });

  it('oversized and unknown frames are refused at their header', () => {
    fc.assert(fc.property(fc.nat({ max: 255 }), fc.nat(), (type, extra) => {
      const len = type === FRAME_DATA ? 16 * 1024 * 1024 + 1 + (extra % 1000) : MAX_JSON + 1 + (extra % 1000);
      const r = feed(frameHeader(type, len), []);
      assert.equal(r, undefined);
    }), { numRuns: runs(300) });
  });
});
