// The store-stream frame decoder fed whole, byte by byte, and every
// malformed header: unknown type, oversized data or control frames, input
// cut inside a header or a payload.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, FrameDecoder, FrameError, frameHeader, MAX_DATA_FRAME, type FrameEvent } from './frames.js';

const frame = (type: number, payload: Buffer) => Buffer.concat([frameHeader(type, payload.length), payload]);
const stream = Buffer.concat([
  frame(FRAME_OPEN, Buffer.from('{"o":1}')),
  frame(FRAME_DATA, Buffer.from('abc')),
  frame(FRAME_DATA, Buffer.alloc(0)),
  frame(FRAME_DATA, Buffer.from('defg')),
  frame(FRAME_COMMIT, Buffer.from('{"c":2}')),
]);

function decode(bytes: Buffer, step: number, maxJson = 100): { events: FrameEvent[]; dec: FrameDecoder } {
  const dec = new FrameDecoder(maxJson);
  const events: FrameEvent[] = [];
  for (let at = 0; at < bytes.length; at += step) events.push(...dec.push(bytes.subarray(at, at + step)));
  return { events, dec };
}

/** Events with data pieces joined (their split depends on the input's). */
function summary(events: FrameEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const text = e.type === 'data' ? e.chunk.toString() : e.json.toString();
    if (e.type === 'data' && out.at(-1)?.startsWith('data:')) out[out.length - 1] += text;
    else out.push(`${e.type}:${text}`);
  }
  return out;
}

describe('FrameDecoder', () => {
  for (const step of [stream.length, 1, 2, 3, 7]) {
    it(`decodes a stream fed ${step} bytes at a time`, () => {
      const { events, dec } = decode(stream, step);
      assert.deepEqual(summary(events), ['open:{"o":1}', 'data:abcdefg', 'commit:{"c":2}']);
      assert.equal(dec.atBoundary, true);
      assert.ok(events.every((e) => e.type !== 'data' || e.chunk.length > 0), 'no empty data pieces');
    });
  }

  it('frameHeader is [type u8][length u32 BE]', () => {
    assert.deepEqual(frameHeader(2, 0x01020304), Buffer.from([2, 1, 2, 3, 4]));
  });

  it('is not at a boundary inside a header or a payload', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const { dec } = decode(stream.subarray(0, cut), cut);
      const boundaries = [0, 12, 20, 25, 34, 46].includes(cut);
      assert.equal(dec.atBoundary, boundaries, `cut at ${cut}`);
    }
  });

  it('an empty control frame is an event with an empty payload', () => {
    const { events } = decode(frame(FRAME_COMMIT, Buffer.alloc(0)), 5);
    assert.deepEqual(summary(events), ['commit:']);
  });

  it('refuses an unknown frame type', () => {
    for (const type of [0, 4, 255]) {
      assert.throws(() => decode(frame(type, Buffer.from('x')), 100), (e: unknown) => e instanceof FrameError && e.name === 'FrameError' && e.message === `unknown frame type ${type}`);
    }
  });

  it('control frames up to maxJson, data frames up to MAX_DATA_FRAME', () => {
    decode(frame(FRAME_OPEN, Buffer.alloc(10)), 100, 10);
    assert.throws(() => decode(frame(FRAME_OPEN, Buffer.alloc(11)), 100, 10), /control frame too large/);
    assert.throws(() => decode(frame(FRAME_COMMIT, Buffer.alloc(11)), 100, 10), /control frame too large/);
    assert.throws(() => decode(frameHeader(FRAME_DATA, MAX_DATA_FRAME + 1), 5), /data frame too large/);
    const ok = decode(frameHeader(FRAME_DATA, MAX_DATA_FRAME), 5);
    assert.equal(ok.dec.atBoundary, false);
    assert.equal(MAX_DATA_FRAME, 16 * 1024 * 1024);
  });
});
