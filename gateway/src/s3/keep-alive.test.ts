// keepAlive (keep-alive.ts): quick work keeps its ordinary response and
// status; slow work answers 200 at once, trickles spaces, then the result or
// an Error document, and the whole body is one well-formed XML document.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createLogger } from '@powerstore/shared/log.js';
import type { S3Context, S3Request, S3Response } from './context.js';
import { S3Error } from './errors.js';
import { keepAlive } from './keep-alive.js';
import { parseXml, xmlDoc } from './xml.js';

const s3 = { log: createLogger('keep-alive-test', 'silent') } as unknown as S3Context;
const r = { id: 'REQ1', raw: { url: '/b/k?uploadId=1' } } as unknown as S3Request;
const timing = { firstMs: 30, everyMs: 10 };
const result: S3Response = { status: 200, headers: { 'content-type': 'application/xml' }, body: xmlDoc('CopyObjectResult', [['ETag', '"abc"']]) };

function after<T>(ms: number, f: () => T): Promise<T> {
  return new Promise((resolve, reject) => setTimeout(() => {
    try {
      resolve(f());
    } catch (e) {
      reject(e);
    }
  }, ms));
}

async function text(res: S3Response): Promise<string[]> {
  const out: string[] = [];
  for await (const c of res.body as AsyncIterable<Buffer>) out.push(c.toString('utf8'));
  return out;
}

describe('keepAlive', () => {
  it('quick work: the ordinary response', async () => {
    assert.equal(await keepAlive(s3, r, after(1, () => result), timing), result);
  });

  it('a quick failure keeps its own status (thrown as usual)', async () => {
    await assert.rejects(keepAlive(s3, r, after(1, () => {
      throw new S3Error('NoSuchKey');
    }), timing), (e: unknown) => e instanceof S3Error && e.code === 'NoSuchKey');
  });

  it('slow work: 200 at once, the declaration, spaces, then the result', async () => {
    // The work ends once two spaces went out (not after a fixed time: timers run late on a busy machine).
    let finish!: (v: S3Response) => void;
    const res = await keepAlive(s3, r, new Promise<S3Response>((resolve) => (finish = resolve)), timing);
    assert.equal(res.status, 200);
    const parts: string[] = [];
    for await (const c of res.body as AsyncIterable<Buffer>) {
      parts.push(c.toString('utf8'));
      if (parts.filter((p) => p === ' ').length === 2) finish(result);
    }
    assert.equal(parts[0], '<?xml version="1.0" encoding="UTF-8"?>\n');
    assert.ok(parts.slice(1, -1).length >= 2 && parts.slice(1, -1).every((p) => p === ' '), `spaces while waiting: ${JSON.stringify(parts)}`);
    const whole = parts.join('');
    assert.equal(whole.match(/<\?xml/g)?.length, 1, 'one declaration, at the very start');
    const doc = parseXml(whole.slice(whole.indexOf('?>') + 2).trim());
    assert.equal(doc.name, 'CopyObjectResult');
  });

  it('slow failure: an Error document inside the 200', async () => {
    const res = await keepAlive(s3, r, after(60, () => {
      throw new S3Error('InternalError');
    }), timing);
    assert.equal(res.status, 200);
    const whole = (await text(res)).join('');
    assert.match(whole, /^<\?xml[^>]*\?>\n *<Error><Code>InternalError<\/Code>/);
    assert.match(whole, /<Resource>\/b\/k<\/Resource><RequestId>REQ1<\/RequestId><\/Error>$/);
  });
});
