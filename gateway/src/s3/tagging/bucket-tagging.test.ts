// Bucket tagging at handler level: Put/Get/DeleteBucketTagging, NoSuchTagSet
// when unset, the 50-tag limit, NoSuchBucket and another owner's bucket.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { signedApp, xmlCode, xmlText, type SignedApp } from '../testing/signed-app.js';

function taggingXml(tags: Array<[string, string]>): Buffer {
  return Buffer.from(`<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`);
}

describe('bucket tagging', () => {
  let s: SignedApp;
  before(async () => {
    s = signedApp('btagging');
    assert.equal((await s.send('PUT', '/btags')).status, 200);
    assert.equal((await s.send('PUT', '/btags/obj', Buffer.from('o'))).status, 200);
  });
  after(() => s?.close());

  it('answers NoSuchTagSet when unset, stores a put, and deletes it', async () => {
    const unset = await s.send('GET', '/btags?tagging');
    assert.equal(unset.status, 404);
    assert.equal(xmlCode(unset.text), 'NoSuchTagSet');
    const put = await s.send('PUT', '/btags?tagging', taggingXml([['team', 'storage'], ['env', '']]));
    assert.equal(put.status, 204, put.text);
    const got = await s.send('GET', '/btags?tagging');
    assert.equal(got.status, 200);
    assert.match(got.text, /<Tagging[^>]*><TagSet><Tag><Key>team<\/Key><Value>storage<\/Value><\/Tag><Tag><Key>env<\/Key><Value><\/Value><\/Tag><\/TagSet><\/Tagging>/);
    assert.equal((await s.send('GET', '/btags/obj')).status, 200, 'the bucket and its objects are untouched');
    assert.equal((await s.send('DELETE', '/btags?tagging')).status, 204);
    assert.equal(xmlCode((await s.send('GET', '/btags?tagging')).text), 'NoSuchTagSet');
    assert.equal((await s.send('HEAD', '/btags')).status, 200, 'DELETE ?tagging did not delete the bucket');
  });

  it('allows 50 tags, refuses 51 and bad tags, and leaves the set as it was', async () => {
    const fifty = Array.from({ length: 50 }, (_, i): [string, string] => [`k${i}`, 'v']);
    assert.equal((await s.send('PUT', '/btags?tagging', taggingXml(fifty))).status, 204);
    for (const [tags, code, message] of [
      [[...fifty, ['k50', 'v']], 'BadRequest', 'Bucket tag count cannot be greater than 50'],
      [[['a', '1'], ['a', '2']], 'InvalidTag', 'Cannot provide multiple Tags with the same key'],
      [[['k'.repeat(129), 'v']], 'InvalidTag', 'The TagKey you have provided is too long, max 128'],
    ] as Array<[Array<[string, string]>, string, string]>) {
      const res = await s.send('PUT', '/btags?tagging', taggingXml(tags));
      assert.equal(res.status, 400);
      assert.equal(xmlCode(res.text), code);
      assert.equal(xmlText(res.text, 'Message'), message);
    }
    const bad = await s.send('PUT', '/btags?tagging', Buffer.from('<Tagging>'));
    assert.equal(xmlCode(bad.text), 'MalformedXML');
    assert.equal([...(await s.send('GET', '/btags?tagging')).text.matchAll(/<Tag>/g)].length, 50);
  });

  it('answers NoSuchBucket for a missing bucket', async () => {
    for (const m of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await s.send(m, '/nobucket?tagging', m === 'PUT' ? taggingXml([['a', 'b']]) : undefined);
      assert.equal(res.status, 404, m);
      assert.equal(xmlCode(res.text), 'NoSuchBucket', m);
    }
  });
});
