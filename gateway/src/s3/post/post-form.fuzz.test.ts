// Property-based tests of the PostObject form reader: any Content-Type and
// any body (valid forms with bytes flipped, cut, repeated or spliced), fed
// in any pieces, end in the fields and the file or in a 4xx S3Error; the
// reader never hangs and never throws anything else; a valid form hands
// over its fields and its file's exact bytes.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { formBoundary, untilCloseDelimiter } from './form-epilogue.js';
import { type FormLimits, readPostForm } from './post-form.js';
import { runs, valueOrClientErrorAsync } from '../testing/fuzz.js';

const BOUNDARY = 'fuzzB0undary';
const LIMITS: FormLimits = { preDataBytes: 2048, fields: 8, drainBytes: 64 * 1024, drainMs: 200, headBytes: 64 * 1024 };

interface Part { readonly name: string; readonly value: Buffer; readonly filename?: string }

function encode(parts: readonly Part[], boundary = BOUNDARY): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const fn = p.filename !== undefined ? `; filename="${p.filename}"` : '';
    out.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${fn}\r\n\r\n`), p.value, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(out);
}

async function* pieces(body: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  const at = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const c of [...at, body.length]) {
    if (c > prev) yield body.subarray(prev, c);
    prev = c;
    await Promise.resolve();
  }
}

/** Reads a whole form: fields and file bytes, or undefined after a 4xx S3Error. Fails on anything else or after 5 s. */
async function readAll(contentType: string, body: Buffer, cuts: readonly number[]) {
  const work = valueOrClientErrorAsync(async () => {
    const form = readPostForm({ 'content-type': contentType }, pieces(body, cuts), LIMITS);
    try {
      const head = await form.head();
      const chunks: Buffer[] = [];
      for await (const c of head.file.stream) chunks.push(c);
      await form.end();
      return { fields: head.fields, file: Buffer.concat(chunks), filename: head.file.filename };
    } catch (e) {
      await form.abandon();
      throw e;
    }
  });
  const ac = new AbortController();
  const hang = delay(5000, 'hang' as const, { signal: ac.signal }).catch(() => undefined);
  const r = await Promise.race([work, hang]);
  ac.abort();
  if (r === 'hang') assert.fail('the form reader neither finished nor failed within 5 s');
  return r;
}

const fieldName = fc.constantFrom('key', 'Content-Type', 'policy', 'x-amz-meta-a', 'acl', 'success_action_status', 'KEY', 'file', 'x', '');
const partArb: fc.Arbitrary<Part> = fc.record({
  name: fieldName,
  value: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  filename: fc.option(fc.constantFrom('a.txt', '', '../x/y.bin', 'c:\\d\\e.png', 'ü.txt'), { nil: undefined }),
}).map((p) => ({ ...p }));
const cutsArb = fc.array(fc.nat(), { maxLength: 6 });

type Mut = { at: number; op: 'flip' | 'delete' | 'insert' | 'dup'; s: string; len: number };
const mutArb: fc.Arbitrary<Mut> = fc.record({
  at: fc.nat(), op: fc.constantFrom('flip' as const, 'delete' as const, 'insert' as const, 'dup' as const),
  s: fc.constantFrom('\r\n', '--', `--${BOUNDARY}`, `\r\n--${BOUNDARY}--\r\n`, '"', ';', 'Content-Disposition: form-data; name="file"\r\n\r\n', '\0'), len: fc.integer({ min: 1, max: 60 }),
});
function mutate(b: Buffer, m: Mut): Buffer {
  const i = m.at % (b.length + 1);
  switch (m.op) {
    case 'flip': { const c = Buffer.from(b); if (i < c.length) c[i] = (c[i] ?? 0) ^ (m.len | 1); return c; }
    case 'delete': return Buffer.concat([b.subarray(0, i), b.subarray(i + m.len)]);
    case 'insert': return Buffer.concat([b.subarray(0, i), Buffer.from(m.s), b.subarray(i)]);
    case 'dup': return Buffer.concat([b.subarray(0, i + m.len), b.subarray(i)]);
  }
}

describe('readPostForm (fuzz)', () => {
  it('any Content-Type and any body: the form or a 4xx S3Error, never a hang or another error', async () => {
    const contentType = fc.oneof(
      fc.constant(`multipart/form-data; boundary=${BOUNDARY}`),
      fc.constantFrom('multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary="a b"', 'text/plain', ''),
      fc.string({ maxLength: 60 }).map((s) => `multipart/form-data; ${s}`),
    );
    const body = fc.oneof(fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a)), fc.array(partArb, { maxLength: 4 }).map((ps) => encode(ps)));
    await fc.assert(fc.asyncProperty(contentType, body, cutsArb, async (ct, b, cuts) => {
      await readAll(ct, b, cuts);
    }), { numRuns: runs(300) });
  });

  it('valid forms with bytes flipped, cut, repeated or spliced: the form or a 4xx S3Error', async () => {
    await fc.assert(fc.asyncProperty(fc.array(partArb, { maxLength: 4 }), fc.array(mutArb, { minLength: 1, maxLength: 3 }), cutsArb, async (parts, ms, cuts) => {
      const withFile = [...parts, { name: 'file', value: Buffer.from('data'), filename: 'f' }];
      await readAll(`multipart/form-data; boundary=${BOUNDARY}`, ms.reduce(mutate, encode(withFile)), cuts);
    }), { numRuns: runs(400) });
  });

  it('round trip: distinct fields before one file are handed over with the file\'s exact bytes', async () => {
    const names = fc.uniqueArray(fc.constantFrom('key', 'Content-Type', 'policy', 'x-amz-meta-a', 'acl', 'success_action_status'), { maxLength: 5 });
    await fc.assert(fc.asyncProperty(names, fc.array(fc.string({ maxLength: 40, unit: 'grapheme' }), { minLength: 6, maxLength: 6 }), fc.uint8Array({ maxLength: 3000 }), cutsArb, async (ns, values, file, cuts) => {
      const fields = ns.map((name, i) => ({ name, value: Buffer.from(values[i] ?? '') }));
      const r = await readAll(`multipart/form-data; boundary=${BOUNDARY}`, encode([...fields, { name: 'file', value: Buffer.from(file), filename: 'up.bin' }]), cuts);
      assert.ok(r, 'a valid form is read');
      assert.ok(r.file.equals(Buffer.from(file)));
      assert.equal(r.filename, 'up.bin');
      assert.deepEqual([...r.fields.values()].map((f) => [f.name, f.value]), fields.map((f) => [f.name, f.value.toString('utf8')]));
    }), { numRuns: runs(200) });
  });
});

describe('readPostForm: fuzz corpus (inputs that found bugs)', () => {
  // busboy marks a form complete at its close delimiter but keeps parsing
  // parts after it; when the input then ends inside such a part, busboy
  // waits for that part's stream to end and the stream for busboy: neither
  // head() nor the file stream ever settled (a request left without answer).
  const minimal = `--${BOUNDARY}--\r\n--${BOUNDARY}\r\n--${BOUNDARY}\r\nContent-Disposition:form-data;="";filename="f"\r\n\r\ndata`;
  const found = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="Content-Type"; filename="\u00c3\u00bc.txt"\r\n\r\n\r\n--${BOUNDARY}--\r\n` +
    `me="Content-Type"; filename="\u00c3\u00bc.txt"\r\n\r\n\0\0\0\r\n--${BOUNDARY}lename="\u00c3\u00bc.txt"\r\n\r\n\0\0\0\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\ndata\r\n--${BOUNDARY}--\r\n`;
  for (const [name, text, cut] of [['minimal', minimal, minimal.length - 3], ['as found', found, found.lastIndexOf('data') + 1]] as const) {
    it(`parts after the close delimiter, input cut inside one (${name}): settles, as a 4xx`, async () => {
      const r = await readAll(`multipart/form-data; boundary=${BOUNDARY}`, Buffer.from(text, 'latin1'), [cut]);
      assert.equal(r, undefined);
    });
  }

  it('a form whose file part comes after its close delimiter has no file', async () => {
    const body = encode([{ name: 'key', value: Buffer.from('k') }]).toString('latin1') + encode([{ name: 'file', value: Buffer.from('x'), filename: 'f' }]).toString('latin1');
    assert.equal(await readAll(`multipart/form-data; boundary=${BOUNDARY}`, Buffer.from(body, 'latin1'), [body.length - 5]), undefined);
  });
});

describe('form epilogue (fuzz)', () => {
  // busboy's own Content-Type parser, the reference formBoundary must agree with.
  const busboyUtils = createRequire(import.meta.url)('busboy/lib/utils.js') as { parseContentType(s: string): { params: Record<string, string> } | undefined };

  it('formBoundary reads the boundary busboy reads, or none where busboy finds none', () => {
    const unit = fc.constantFrom(...'abAB09-_.;= \t"\\/'.split(''), 'boundary=', 'BOUNDARY=', '"x\\"y"', 'multipart/form-data');
    const ct = fc.oneof(fc.string({ maxLength: 60, unit }), fc.string({ maxLength: 40, unit }).map((s) => `multipart/form-data; ${s}`), fc.string({ maxLength: 60, unit: 'binary' }));
    fc.assert(fc.property(ct, (c) => {
      const ours = formBoundary(c);
      const theirs = busboyUtils.parseContentType(c)?.params.boundary;
      if (ours !== undefined) assert.equal(ours, theirs, c);
    }), { numRuns: runs(2000) });
    assert.equal(formBoundary('multipart/form-data; charset=utf-8; Boundary="a\\"b"; boundary=c'), 'a"b');
  });

  it('untilCloseDelimiter: in any split, the body up to and including the first close delimiter', async () => {
    const unit = fc.constantFrom('\r\n', '--', 'B', 'B--', 'x', '\r\n--B--', '\r\n--B');
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 40, unit }), cutsArb, async (text, cuts) => {
      const body = Buffer.from(text);
      const got: Buffer[] = [];
      for await (const c of untilCloseDelimiter(pieces(body, cuts), 'B')) got.push(c);
      const at = Buffer.concat([Buffer.from('\r\n'), body]).indexOf('\r\n--B--');
      assert.equal(Buffer.concat(got).toString(), at < 0 ? text : text.slice(0, at + '\r\n--B--'.length - 2));
    }), { numRuns: runs(1000) });
  });
});
