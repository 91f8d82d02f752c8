// The PostObject form reader: fields before the file, the file as a stream
// (with backpressure), parts after it ignored but the form still checked to
// its end, limits, and the ways a body can be malformed or cut off.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { S3Error, type S3ErrorCode } from '../errors.js';
import { type PostForm, FORM_LIMITS, isMultipartForm, readPostForm } from './post-form.js';

interface Part {
  readonly name: string;
  readonly value: string | Buffer;
  readonly filename?: string;
  readonly type?: string;
}

const BOUNDARY = '----pstest7MA4YWxkTrZu0gW';
const HEADERS = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

function encode(parts: readonly Part[], close = true): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    let h = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) h += `; filename="${p.filename}"`;
    h += '\r\n';
    if (p.type) h += `Content-Type: ${p.type}\r\n`;
    out.push(Buffer.from(`${h}\r\n`), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  if (close) out.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(out);
}

/** The body in pieces of `size` bytes; `onPull` sees the running total; `fail` throws after the last piece. */
async function* pieces(body: Buffer, size: number, o: { onPull?: (n: number) => void; fail?: S3Error } = {}): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += size) {
    o.onPull?.(Math.min(i + size, body.length));
    yield body.subarray(i, i + size);
  }
  if (o.fail) throw o.fail;
}

async function collect(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c);
  return Buffer.concat(out);
}

function isS3(code: S3ErrorCode, o: { message?: RegExp; argumentValue?: string } = {}) {
  return (e: unknown): true => {
    assert.ok(e instanceof S3Error, `expected S3Error ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (o.message) assert.match(e.message, o.message);
    if (o.argumentValue !== undefined) assert.equal(e.extra.ArgumentValue, o.argumentValue);
    return true;
  };
}

async function readAll(form: PostForm) {
  const head = await form.head();
  const file = await collect(head.file.stream);
  await form.end();
  return { ...head, bytes: file };
}

const FILE = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));

describe('readPostForm', () => {
  for (const size of [1, 7, 100, 1 << 20]) {
    it(`fields before the file, the file's exact bytes, later parts ignored (pieces of ${size} B)`, async () => {
      const body = encode([
        { name: 'key', value: 'up/${filename}' },
        { name: 'Content-Type', value: 'image/png' },
        { name: 'x-amz-meta-ÄÖ', value: 'ünïcode' },
        { name: 'file', value: FILE, filename: 'photo.png', type: 'image/png' },
        { name: 'after', value: 'ignored' },
        { name: 'x-amz-meta-late', value: 'ignored' },
      ]);
      const r = await readAll(readPostForm(HEADERS, pieces(body, size)));
      assert.ok(r.bytes.equals(FILE));
      assert.equal(r.file.filename, 'photo.png');
      assert.equal(r.file.contentType, 'image/png');
      assert.deepEqual([...r.fields.keys()], ['key', 'content-type', 'x-amz-meta-äö']);
      assert.deepEqual(r.fields.get('content-type'), { name: 'Content-Type', value: 'image/png' });
      assert.equal(r.fields.get('x-amz-meta-äö')?.value, 'ünïcode');
    });
  }

  it('recognizes only multipart/form-data', () => {
    assert.ok(isMultipartForm('multipart/form-data; boundary=x'));
    assert.ok(isMultipartForm('Multipart/Form-Data;boundary=x'));
    assert.ok(!isMultipartForm('application/x-www-form-urlencoded'));
    assert.ok(!isMultipartForm('multipart/form-datax'));
    assert.ok(!isMultipartForm(undefined));
  });

  it('a multipart type without a boundary is MalformedPOSTRequest at once', () => {
    assert.throws(() => readPostForm({ 'content-type': 'multipart/form-data' }, pieces(Buffer.alloc(0), 1)), isS3('MalformedPOSTRequest'));
  });

  it('file name: the part after the last / or \\; no type or text/plain → undefined', async () => {
    const r = await readAll(readPostForm(HEADERS, pieces(encode([{ name: 'file', value: 'x', filename: 'C:\\Users\\me\\a b.txt' }]), 50)));
    assert.equal(r.file.filename, 'a b.txt');
    assert.equal(r.file.contentType, undefined);
    const t = await readAll(readPostForm(HEADERS, pieces(encode([{ name: 'file', value: 'x', filename: 'a', type: 'text/plain' }]), 50)));
    assert.equal(t.file.contentType, undefined);
  });

  it('`file` as text content (no file name) is the file', async () => {
    const r = await readAll(readPostForm(HEADERS, pieces(encode([{ name: 'key', value: 'k' }, { name: 'FILE', value: 'hello text' }]), 9)));
    assert.equal(r.bytes.toString(), 'hello text');
    assert.equal(r.file.filename, '');
    assert.equal(r.fields.size, 1);
  });

  it('a part with a file name under another name is an ordinary field', async () => {
    const r = await readAll(readPostForm(HEADERS, pieces(encode([
      { name: 'note', value: 'attached', filename: 'n.txt' },
      { name: 'file', value: 'data', filename: 'd.bin', type: 'application/octet-stream' },
    ]), 1)));
    assert.equal(r.fields.get('note')?.value, 'attached');
    assert.equal(r.bytes.toString(), 'data');
    assert.equal(r.file.contentType, 'application/octet-stream');
  });

  it('no file part: InvalidArgument "exactly one file", ArgumentValue 0', async () => {
    const form = readPostForm(HEADERS, pieces(encode([{ name: 'key', value: 'k' }]), 10));
    await assert.rejects(form.head(), isS3('InvalidArgument', { message: /exactly one file/, argumentValue: '0' }));
  });

  it('a second file part: the upload must fail at end()', async () => {
    const form = readPostForm(HEADERS, pieces(encode([
      { name: 'file', value: 'one', filename: 'a' }, { name: 'file', value: 'two', filename: 'b' },
    ]), 1000));
    // Both parts arrive in one piece: the failure may come before or after the first file was read.
    await assert.rejects(async () => {
      const head = await form.head();
      assert.equal((await collect(head.file.stream)).toString(), 'one');
      await form.end();
    }, isS3('InvalidArgument', { message: /exactly one file/ }));
    const late = readPostForm(HEADERS, pieces(encode([
      { name: 'file', value: 'one', filename: 'a' }, { name: 'file', value: 'two', filename: 'b' },
    ]), 1));
    const head = await late.head();
    assert.equal((await collect(head.file.stream)).toString(), 'one');
    await assert.rejects(late.end(), isS3('InvalidArgument', { message: /exactly one file/ }));
  });

  it('a repeated field name is refused (any case)', async () => {
    const form = readPostForm(HEADERS, pieces(encode([{ name: 'Policy', value: 'a' }, { name: 'policy', value: 'b' }, { name: 'file', value: 'x', filename: 'f' }]), 1000));
    await assert.rejects(form.head(), isS3('InvalidArgument', { message: /more than once/ }));
  });

  it('fields before the file: 20 KB together, 64 at most', async () => {
    const big = readPostForm(HEADERS, pieces(encode([{ name: 'a', value: 'x'.repeat(12_000) }, { name: 'b', value: 'y'.repeat(9_000) }, { name: 'file', value: 'x', filename: 'f' }]), 4096));
    await assert.rejects(big.head(), isS3('MaxPostPreDataLengthExceededError'));
    const huge = readPostForm(HEADERS, pieces(encode([{ name: 'a', value: 'x'.repeat(FORM_LIMITS.preDataBytes + 10) }, { name: 'file', value: 'x', filename: 'f' }]), 4096));
    await assert.rejects(huge.head(), isS3('MaxPostPreDataLengthExceededError'));
    const many = Array.from({ length: 65 }, (_, i) => ({ name: `x-ignore-${i}`, value: '1' }));
    const tooMany = readPostForm(HEADERS, pieces(encode([...many, { name: 'file', value: 'x', filename: 'f' }]), 4096));
    await assert.rejects(tooMany.head(), isS3('MaxPostPreDataLengthExceededError'));
    const just = Array.from({ length: 64 }, (_, i) => ({ name: `x-ignore-${i}`, value: '1' }));
    const ok = await readAll(readPostForm(HEADERS, pieces(encode([...just, { name: 'file', value: 'x', filename: 'f' }]), 4096)));
    assert.equal(ok.fields.size, 64);
  });

  it('a form cut off after the file data (no closing boundary): end() fails', async () => {
    const form = readPostForm(HEADERS, pieces(encode([{ name: 'file', value: FILE, filename: 'f' }], false), 512));
    const head = await form.head();
    await assert.rejects(async () => {
      await collect(head.file.stream);
      await form.end();
    }, isS3('MalformedPOSTRequest'));
  });

  it('a body that breaks off mid-file: the file stream throws the body layer\'s error', async () => {
    const body = encode([{ name: 'file', value: FILE, filename: 'f' }]).subarray(0, 2000);
    const form = readPostForm(HEADERS, pieces(body, 256, { fail: new S3Error('IncompleteBody') }));
    const head = await form.head();
    await assert.rejects(collect(head.file.stream), isS3('IncompleteBody'));
    await assert.rejects(form.end(), isS3('IncompleteBody'));
  });

  it('garbage instead of a form: MalformedPOSTRequest', async () => {
    const form = readPostForm(HEADERS, pieces(Buffer.from(`--${BOUNDARY}\r\nno header end`), 5));
    await assert.rejects(form.head(), isS3('MalformedPOSTRequest'));
  });

  it('streams: the body is read only as far as the file is consumed', async () => {
    const file = Buffer.alloc(16 << 20, 1);
    const body = encode([{ name: 'key', value: 'k' }, { name: 'file', value: file, filename: 'big' }]);
    let pulled = 0;
    const form = readPostForm(HEADERS, pieces(body, 64 * 1024, { onPull: (n) => (pulled = n) }));
    const head = await form.head();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(pulled < 2 << 20, `read ${pulled} bytes ahead of a consumer that read nothing`);
    let n = 0;
    for await (const c of head.file.stream) n += c.length;
    await form.end();
    assert.equal(n, file.length);
    assert.equal(pulled, body.length);
  });

  it('abandon() reads and discards a bounded remainder of the request', async () => {
    const body = encode([{ name: 'key', value: 'k' }, { name: 'file', value: Buffer.alloc(8 << 20), filename: 'big' }]);
    let pulled = 0;
    const limits = { ...FORM_LIMITS, drainBytes: 1 << 20 };
    const form = readPostForm(HEADERS, pieces(body, 64 * 1024, { onPull: (n) => (pulled = n) }), limits);
    await form.head();
    const before = pulled;
    await form.abandon();
    assert.ok(pulled > before + limits.drainBytes - 64 * 1024, `drained ${pulled - before}`);
    assert.ok(pulled < before + limits.drainBytes + 3 * 64 * 1024, `drained ${pulled - before}`);
    await assert.rejects(form.end());
    // A small remainder is read completely.
    let done = 0;
    const small = encode([{ name: 'file', value: 'x', filename: 'f' }, { name: 'after', value: 'y'.repeat(5000) }]);
    const f2 = readPostForm(HEADERS, pieces(small, 100, { onPull: (n) => (done = n) }));
    await f2.head();
    await f2.abandon();
    assert.equal(done, small.length);
  });
});
