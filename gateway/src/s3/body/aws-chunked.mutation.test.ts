// aws-chunked framing at its edges: the CRLF after chunk data, lines of
// exactly the maximum length, the signed-chunk size limit, repeated and
// excess trailers, two signed trailers in either order.

import { strict as assert } from 'node:assert';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ChunkSigning } from '../auth/types.js';
import { throwsS3 } from '../auth/testing/assert-s3.js';
import { AwsChunkedParser, type AwsChunkedOptions, MAX_CHUNK_LINE, MAX_TRAILER_LINE, MAX_TRAILERS } from './aws-chunked.js';
import { buildChunked, signingKey } from './testing/chunked-builder.js';

const UNSIGNED: AwsChunkedOptions = { trailer: false, declaredTrailers: [] };
const CRC = 'x-amz-checksum-crc32';

function decode(body: Buffer | string, o: AwsChunkedOptions, step?: number): { payload: Buffer; parser: AwsChunkedParser } {
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const parser = new AwsChunkedParser(o);
  const out: Buffer[] = [];
  const n = step ?? (b.length || 1);
  for (let at = 0; at < b.length; at += n) out.push(...parser.feed(b.subarray(at, at + n)));
  parser.end();
  return { payload: Buffer.concat(out), parser };
}

const signing: ChunkSigning = {
  seedSignature: 'a'.repeat(64),
  signingKey: signingKey('secret', '20261125', 'us-east-1'),
  scope: '20261125/us-east-1/s3/aws4_request',
  amzDate: '20261125T191100Z',
};
const sha = (d: string | Buffer) => createHash('sha256').update(d).digest('hex');
const hmacHex = (s: string) => createHmac('sha256', signing.signingKey).update(s).digest('hex');

describe('aws-chunked: the CRLF after chunk data', () => {
  for (const step of [undefined, 1]) {
    const how = step ? 'byte by byte' : 'whole';
    it(`two wrong bytes after the data, then a valid final chunk, are refused (${how})`, () => {
      throwsS3(() => decode('5\r\nhelloXY0\r\n\r\n', UNSIGNED, step), 'InvalidRequest', /not followed by CRLF/);
      throwsS3(() => decode('5\r\nhello\rX0\r\n\r\n', UNSIGNED, step), 'InvalidRequest', /not followed by CRLF/);
      throwsS3(() => decode('5\r\nhello\n\r0\r\n\r\n', UNSIGNED, step), 'InvalidRequest', /not followed by CRLF/);
    });
  }

  it('a correct body decodes, and done says so only at the end', () => {
    const p = new AwsChunkedParser(UNSIGNED);
    assert.deepEqual(Buffer.concat(p.feed(Buffer.from('5\r\nhello\r\n'))), Buffer.from('hello'));
    assert.equal(p.done, false);
    p.feed(Buffer.from('0\r\n\r\n'));
    assert.equal(p.done, true);
    p.end();
    throwsS3(() => p.feed(Buffer.from('x')), 'InvalidRequest', /data after the final chunk/);
  });
});

describe('aws-chunked: line caps are exact', () => {
  it(`a chunk header line of exactly ${MAX_CHUNK_LINE} bytes is accepted, one more is refused`, () => {
    const ext = (n: number) => `5;${'e'.repeat(n - 2)}`;
    for (const step of [undefined, 1, 100]) {
      assert.deepEqual(decode(`${ext(MAX_CHUNK_LINE)}\r\nhello\r\n0\r\n\r\n`, UNSIGNED, step).payload, Buffer.from('hello'));
      throwsS3(() => decode(`${ext(MAX_CHUNK_LINE + 1)}\r\nhello\r\n0\r\n\r\n`, UNSIGNED, step), 'InvalidRequest', /chunk header line too long/);
    }
  });

  it(`a trailer line of exactly ${MAX_TRAILER_LINE} bytes is accepted whole, one more is refused`, () => {
    const o: AwsChunkedOptions = { trailer: true, declaredTrailers: [CRC] };
    const value = (n: number) => 'V'.repeat(n - CRC.length - 1);
    for (const step of [undefined, 1, 300]) {
      const { parser } = decode(`5\r\nhello\r\n0\r\n${CRC}:${value(MAX_TRAILER_LINE)}\r\n\r\n`, o, step);
      assert.equal(parser.trailers.get(CRC), value(MAX_TRAILER_LINE));
      throwsS3(() => decode(`5\r\nhello\r\n0\r\n${CRC}:${value(MAX_TRAILER_LINE + 1)}\r\n\r\n`, o, step), 'InvalidRequest', /trailer line too long/);
    }
  });

  it('a line ending in LF alone, or an empty line where a size belongs, is refused', () => {
    throwsS3(() => decode('5\nhello\r\n0\r\n\r\n', UNSIGNED), 'InvalidRequest', /not terminated by CRLF/);
    throwsS3(() => decode('\n', UNSIGNED), 'InvalidRequest', /not terminated by CRLF/);
    throwsS3(() => decode('\r\n', UNSIGNED), 'InvalidRequest', /bad chunk size line/);
  });
});

describe('aws-chunked: signed chunk size limit', () => {
  it('a signed chunk of exactly maxSignedChunk bytes is accepted, one byte more is refused', () => {
    const o: AwsChunkedOptions = { trailer: false, declaredTrailers: [], signing, maxSignedChunk: 4 };
    assert.deepEqual(decode(buildChunked(Buffer.from('abcd'), { signing }), o).payload, Buffer.from('abcd'));
    throwsS3(() => decode(buildChunked(Buffer.from('abcde'), { signing }), o), 'InvalidRequest', /larger than 4 bytes/);
  });

  it('decoded length: exactly x-amz-decoded-content-length, not more or less', () => {
    const body = buildChunked(Buffer.from('hello'));
    decode(body, { ...UNSIGNED, decodedLength: 5 });
    throwsS3(() => decode(body, { ...UNSIGNED, decodedLength: 4 }), 'IncompleteBody', /longer/);
    throwsS3(() => decode(body, { ...UNSIGNED, decodedLength: 6 }), 'IncompleteBody', /shorter/);
  });
});

describe('aws-chunked: trailers', () => {
  const announced = (n: number) => Array.from({ length: n }, (_, i) => `x-amz-meta-t${i}`);

  it('an announced trailer sent twice is refused, not last-wins', () => {
    const o: AwsChunkedOptions = { trailer: true, declaredTrailers: [CRC] };
    throwsS3(() => decode(`0\r\n${CRC}:AAAAAA==\r\n${CRC}:BBBBBB==\r\n\r\n`, o), 'InvalidRequest', /repeated trailer/);
  });

  it(`${MAX_TRAILERS} announced trailers are accepted, ${MAX_TRAILERS + 1} are too many`, () => {
    const lines = (n: number) => announced(n).map((t) => `${t}:v\r\n`).join('');
    const ok = decode(`0\r\n${lines(MAX_TRAILERS)}\r\n`, { trailer: true, declaredTrailers: announced(MAX_TRAILERS) });
    assert.equal(ok.parser.trailers.size, MAX_TRAILERS);
    throwsS3(() => decode(`0\r\n${lines(MAX_TRAILERS + 1)}\r\n`, { trailer: true, declaredTrailers: announced(MAX_TRAILERS + 1) }), 'InvalidRequest', /too many trailers/);
  });

  it('a trailer line with an empty name is refused', () => {
    throwsS3(() => decode(`0\r\n:v\r\n\r\n`, { trailer: true, declaredTrailers: [CRC] }), 'InvalidRequest', /bad trailer line/);
    throwsS3(() => decode(`0\r\nnocolon\r\n\r\n`, { trailer: true, declaredTrailers: [CRC] }), 'InvalidRequest', /bad trailer line/);
  });

  it('a trailer (even a trailer signature) after a signed body without x-amz-trailer is refused', () => {
    const body = buildChunked(Buffer.from('hi'), { signing }).toString('latin1').replace(/\r\n$/, `x-amz-trailer-signature:${'b'.repeat(64)}\r\n\r\n`);
    throwsS3(() => decode(body, { trailer: false, declaredTrailers: [], signing }), 'InvalidRequest', /without x-amz-trailer/);
  });

  /** A signed body with the given trailer lines, signed over them sorted by name. */
  function signedWithTrailers(trailers: [string, string][], extraSigLine = false): string {
    const head = buildChunked(Buffer.from('hi'), { signing }).toString('latin1').replace(/\r\n$/, '');
    const finalSig = /0;chunk-signature=([0-9a-f]{64})\r\n$/.exec(head)![1]!;
    const canonical = [...trailers].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([n, v]) => `${n}:${v}\n`).join('');
    const sig = hmacHex(['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, finalSig, sha(canonical)].join('\n'));
    const sigLine = `x-amz-trailer-signature:${sig}\r\n`;
    return `${head}${trailers.map(([n, v]) => `${n}:${v}\r\n`).join('')}${sigLine}${extraSigLine ? sigLine : ''}\r\n`;
  }

  it('two signed trailers verify in either order of arrival', () => {
    const o: AwsChunkedOptions = { trailer: true, declaredTrailers: [CRC, 'x-amz-checksum-sha256'], signing };
    const a: [string, string] = [CRC, 'AAAAAA=='];
    const b: [string, string] = ['x-amz-checksum-sha256', 'BBBB'];
    for (const order of [[a, b], [b, a]]) {
      const { payload, parser } = decode(signedWithTrailers(order), o);
      assert.deepEqual(payload, Buffer.from('hi'));
      assert.equal(parser.trailers.get(CRC), 'AAAAAA==');
    }
  });

  it('a repeated x-amz-trailer-signature is refused', () => {
    const o: AwsChunkedOptions = { trailer: true, declaredTrailers: [CRC], signing };
    decode(signedWithTrailers([[CRC, 'AAAAAA==']]), o);
    throwsS3(() => decode(signedWithTrailers([[CRC, 'AAAAAA==']], true), o), 'InvalidRequest', /repeated x-amz-trailer-signature/);
  });

  it('input ending right after the trailer lines is tolerated; without any trailer it is incomplete', () => {
    const o: AwsChunkedOptions = { trailer: true, declaredTrailers: [CRC] };
    assert.equal(decode(`0\r\n${CRC}:AAAAAA==\r\n`, o).parser.trailers.get(CRC), 'AAAAAA==');
    throwsS3(() => decode(`0\r\n`, o), 'IncompleteBody');
    throwsS3(() => decode(`0\r\n${CRC}:AAAA`, o), 'IncompleteBody');
  });
});

describe('aws-chunked: chunk size lines and trailer names, exactly', () => {
  it('a size line must be hex digits only, at most 12, from its first byte to its last', () => {
    for (const line of ['g5', 'x5', '5x', '5 ', ' 5', '1234567890123', '-5']) {
      throwsS3(() => decode(`${line}\r\nhello\r\n0\r\n\r\n`, UNSIGNED), 'InvalidRequest', /bad chunk size line/);
    }
    assert.deepEqual(decode('000000000005\r\nhello\r\n0\r\n\r\n', UNSIGNED).payload, Buffer.from('hello'));
    assert.deepEqual(decode('5;ext=1\r\nhello\r\n0\r\n\r\n', UNSIGNED).payload, Buffer.from('hello'));
  });

  it('trailer names are case-insensitive and trimmed, values trimmed', () => {
    const o: AwsChunkedOptions = { trailer: true, declaredTrailers: [CRC] };
    const { parser } = decode(`0\r\n X-Amz-Checksum-CRC32 :  AAAAAA==  \r\n\r\n`, o);
    assert.deepEqual([...parser.trailers], [[CRC, 'AAAAAA==']]);
  });

  it('an unannounced trailer is refused, and an announced one must arrive', () => {
    throwsS3(() => decode(`0\r\nx-amz-meta-a:1\r\n\r\n`, { trailer: true, declaredTrailers: [CRC] }), 'InvalidRequest', /not announced/);
    throwsS3(() => decode(`0\r\n\r\n`, { trailer: true, declaredTrailers: [CRC] }), 'InvalidRequest', /announced trailer x-amz-checksum-crc32 missing/);
  });

  it('signature mismatches say which signature', () => {
    const o: AwsChunkedOptions = { trailer: false, declaredTrailers: [], signing };
    const bad = buildChunked(Buffer.from('hi'), { signing: { ...signing, seedSignature: 'b'.repeat(64) } });
    throwsS3(() => decode(bad, o), 'SignatureDoesNotMatch', /chunk signature we calculated/);
    const t: AwsChunkedOptions = { trailer: true, declaredTrailers: [CRC], signing };
    const body = buildChunked(Buffer.from('hi'), { signing, trailer: [CRC, 'AAAAAA=='] }).toString('latin1').replace('AAAAAA==', 'BBBBBB==');
    throwsS3(() => decode(body, t), 'SignatureDoesNotMatch', /trailer signature we calculated/);
    // A signed body with trailers but no trailer signature at all.
    const unsignedTrailer = buildChunked(Buffer.from('hi'), { signing }).toString('latin1').replace(/\r\n$/, `${CRC}:AAAAAA==\r\n\r\n`);
    throwsS3(() => decode(unsignedTrailer, t), 'SignatureDoesNotMatch', /trailer signature/);
  });
});

describe('aws-chunked: the chunk-signature extension and messages', () => {
  const o: AwsChunkedOptions = { trailer: false, declaredTrailers: [], signing };
  const body = buildChunked(Buffer.from('hi'), { signing }).toString('latin1');

  it('the extension must be exactly chunk-signature=<sig>', () => {
    decode(body, o);
    throwsS3(() => decode(body.replace(';chunk-signature=', ';xchunk-signature='), o), 'InvalidRequest', /signed chunk without chunk-signature/);
    const firstLineEnd = body.indexOf('\r\n');
    throwsS3(() => decode(`${body.slice(0, firstLineEnd)} x${body.slice(firstLineEnd)}`, o), 'InvalidRequest', /signed chunk without chunk-signature/);
  });

  it('truncation says the body ended early; an unannounced trailer name is cut to 64 characters', () => {
    throwsS3(() => decode('5\r\nhel', UNSIGNED), 'IncompleteBody', /^The aws-chunked body ended before its final chunk\.$/);
    const name = `x-${'n'.repeat(100)}`;
    throwsS3(() => decode(`0\r\n${name}:v\r\n\r\n`, { trailer: true, declaredTrailers: [CRC] }), 'InvalidRequest', new RegExp(`trailer ${name.slice(0, 64)} not announced`));
    assert.throws(() => decode(`0\r\n${name}:v\r\n\r\n`, { trailer: true, declaredTrailers: [CRC] }), (e: Error) => !e.message.includes(name.slice(0, 65)));
  });
});
