// Bodies read through a stream's events: whole, bounded, and every way a
// stream can end badly rejects (never hangs, never throws later).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough, Readable } from 'node:stream';
import { BodyTooLargeError, PrematureCloseError, readLimited, readStream } from './http-body.js';

describe('readLimited', () => {
  it('reads a stream and an async iterable whole', async () => {
    assert.equal((await readLimited(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4)).toString(), 'abcd');
    assert.equal((await readLimited((async function* () { yield Buffer.from('x'); yield new Uint8Array([0x79]); })(), 2)).toString(), 'xy');
    assert.equal((await readLimited(Readable.from([]), 0)).length, 0);
  });

  it('refuses a byte over the limit, and destroys the stream it stopped reading', async () => {
    const src = new PassThrough();
    const read = readLimited(src, 4);
    src.write(Buffer.from('abc'));
    src.write(Buffer.from('de'));
    await assert.rejects(read, BodyTooLargeError);
    assert.equal(src.destroyed, true);
    await assert.rejects(readLimited((async function* () { yield Buffer.alloc(5); })(), 4), BodyTooLargeError);
  });
});

describe('readStream', () => {
  it('rejects with the stream\'s error', async () => {
    const src = new PassThrough();
    const read = readStream(src, () => undefined);
    src.destroy(new Error('socket reset'));
    await assert.rejects(read, /socket reset/);
  });

  it('rejects a close before the end', async () => {
    const src = new PassThrough();
    const read = readStream(src, () => undefined);
    src.write('a');
    src.destroy();
    await assert.rejects(read, PrematureCloseError);
  });

  it('a stream already destroyed or ended: no wait', async () => {
    const gone = new PassThrough();
    gone.on('error', () => undefined); // its own reader saw the error
    gone.destroy(new Error('earlier'));
    await new Promise((r) => setImmediate(r));
    await assert.rejects(readStream(gone, () => undefined), /earlier/);
    const closed = new PassThrough();
    closed.destroy();
    await new Promise((r) => setImmediate(r));
    await assert.rejects(readStream(closed, () => undefined), PrematureCloseError);
    const ended = Readable.from([Buffer.from('x')]);
    await readStream(ended, () => undefined);
    await readStream(ended, () => assert.fail('no more chunks'));
  });

  it('a late error of a stream it is done with does not escape', async () => {
    const src = new PassThrough();
    const read = readStream(src, () => {
      throw new Error('enough');
    });
    src.write('a');
    await assert.rejects(read, /enough/);
    src.emit('error', new Error('late')); // would crash the process without a listener
  });
});
