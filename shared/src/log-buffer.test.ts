// LineBuffer: lines go out together, in order, after a pause, once enough
// wait, or at once behind a warning; partial writes and a full pipe lose
// nothing; any other write error drops the lines and never throws.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBuffer, type WriteAt } from './log-buffer.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const line = (level: number, msg: string): string => `${JSON.stringify({ level, time: 1, msg })}\n`;

/** A file descriptor's writes, kept; `take` bytes at most per call. */
function sink(take = Infinity): { out: WriteAt; writes: string[]; text: () => string } {
  const writes: string[] = [];
  const out: WriteAt = (_fd, bytes, from) => {
    const n = Math.min(take, bytes.length - from);
    writes.push(bytes.subarray(from, from + n).toString('utf8'));
    return n;
  };
  return { out, writes, text: () => writes.join('') };
}

describe('LineBuffer', () => {
  it('writes the lines of a pause together, in order, once flushMs has passed', async () => {
    const s = sink();
    const b = new LineBuffer(1, 20, 64 * 1024, s.out);
    const lines = Array.from({ length: 50 }, (_, i) => line(30, `access ${i}`));
    for (const l of lines) b.write(l);
    assert.equal(s.writes.length, 0, 'nothing written yet');
    await sleep(60);
    assert.equal(s.writes.length, 1, 'one write for all');
    assert.equal(s.text(), lines.join(''));
    b.write(line(30, 'later'));
    await sleep(60);
    assert.equal(s.writes.length, 2);
  });

  it('writes at once, behind the lines before it, a line at warn level or worse; not one below', () => {
    for (const level of [40, 50, 60]) {
      const s = sink();
      const b = new LineBuffer(1, 60_000, 64 * 1024, s.out);
      b.write(line(30, 'first'));
      b.write(line(20, 'debug'));
      assert.equal(s.writes.length, 0);
      b.write(line(level, 'trouble'));
      assert.equal(s.text(), line(30, 'first') + line(20, 'debug') + line(level, 'trouble'));
      b.flush();
    }
  });

  it('writes once maxBytes are waiting', () => {
    const s = sink();
    const l = line(30, 'x'.repeat(90));
    const b = new LineBuffer(1, 60_000, 10 * l.length, s.out);
    for (let i = 0; i < 9; i++) b.write(l);
    assert.equal(s.writes.length, 0);
    b.write(l);
    assert.equal(s.text(), l.repeat(10));
  });

  it('finishes a partial write and waits out a full pipe, losing nothing', () => {
    const s = sink(7);
    let full = 3;
    const out: WriteAt = (fd, bytes, from) => {
      if (full-- > 0) throw Object.assign(new Error('full'), { code: 'EAGAIN' });
      return s.out(fd, bytes, from);
    };
    const b = new LineBuffer(1, 60_000, 64 * 1024, out);
    const lines = [line(30, 'ä∑ one'), line(30, 'two'), line(30, 'three')];
    for (const l of lines) b.write(l);
    b.flush();
    assert.equal(s.text(), lines.join(''));
    assert.ok(s.writes.length > 3, 'in pieces');
  });

  it('drops its lines, then and later, at a write error, and never throws', () => {
    let calls = 0;
    const out: WriteAt = () => {
      calls++;
      throw Object.assign(new Error('gone'), { code: 'EPIPE' });
    };
    const b = new LineBuffer(1, 60_000, 64 * 1024, out);
    b.write(line(30, 'a'));
    assert.doesNotThrow(() => b.write(line(50, 'b')));
    assert.equal(calls, 1);
    b.write(line(50, 'c'));
    b.flush();
    assert.equal(calls, 1, 'nothing tried after the error');
  });

  it('a flush with nothing waiting writes nothing', () => {
    const s = sink();
    const b = new LineBuffer(1, 20, 64 * 1024, s.out);
    b.flush();
    assert.equal(s.writes.length, 0);
  });
});
