// The anonymous head of a PostObject form (review F5, probe D4): the file
// part must begin within headMs and within headBytes of the request, or the
// form fails (RequestTimeout, MaxPostPreDataLengthExceededError), however
// slowly or long the client goes on sending.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { rejectsS3 } from '../auth/testing/assert-s3.js';
import { FORM_LIMITS, readPostForm } from './post-form.js';

const HEADERS = { 'content-type': 'multipart/form-data; boundary=zz' };

/** `head`, then `byte` every `gapMs`, `count` times. */
async function* trickle(head: string, byte: string, gapMs: number, count: number): AsyncGenerator<Buffer> {
  yield Buffer.from(head);
  for (let i = 0; i < count; i++) {
    await delay(gapMs);
    yield Buffer.from(byte);
  }
}

describe('PostObject form head budget', () => {
  it('a form whose file part does not begin within headMs fails with RequestTimeout', async () => {
    const form = readPostForm(HEADERS, trickle('--zz\r\nContent-Disposition: form-data; name="key"\r\n\r\n', 'k', 50, 100), { ...FORM_LIMITS, headMs: 300 });
    const t = Date.now();
    await rejectsS3(form.head(), 'RequestTimeout');
    assert.ok(Date.now() - t < 2000);
    await form.abandon();
  });

  it('a preamble or part headers beyond headBytes fail the form before its file', async () => {
    const form = readPostForm(HEADERS, trickle('', 'x'.repeat(8192), 0, 100), { ...FORM_LIMITS, headBytes: 32 * 1024 });
    await rejectsS3(form.head(), 'MaxPostPreDataLengthExceededError');
    await form.abandon();
  });

  it('a quick form is not touched by the budget, and its timer does not outlive it', async () => {
    const body = '--zz\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--zz\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nhello\r\n--zz--\r\n';
    const form = readPostForm(HEADERS, trickle(body, '', 0, 0), { ...FORM_LIMITS, headMs: 200 });
    const { fields, file } = await form.head();
    assert.equal(fields.get('key')?.value, 'k');
    let text = '';
    for await (const c of file.stream) text += c.toString();
    await delay(300);
    await form.end();
    assert.equal(text, 'hello');
  });
});
