// DeleteObjects' request parsing, result rendering and the bounded map.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { mapLimit } from '@powerstore/shared/map-limit.js';
import { parseDeleteRequest, renderDeleteResult } from './delete-objects.js';
import { S3Error } from '../errors.js';
import { parseXml } from '../xml.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof S3Error ? e.code : String(e);
  }
  return 'ok';
}

describe('parseDeleteRequest', () => {
  it('reads keys (entities decoded, whitespace kept), versions and Quiet, with or without namespace', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      '<Object><Key>a&amp;b</Key></Object><Object><Key> c&lt;d ü </Key><VersionId>null</VersionId></Object>' +
      '<Quiet>true</Quiet></Delete>';
    assert.deepEqual(parseDeleteRequest(xml), { quiet: true, objects: [{ key: 'a&b' }, { key: ' c<d ü ', versionId: 'null' }] });
    assert.equal(parseDeleteRequest('<Delete><Object><Key>k</Key></Object></Delete>').quiet, false);
  });

  it('refuses empty, oversized and malformed requests with MalformedXML', () => {
    const many = (n: number): string => `<Delete>${'<Object><Key>k</Key></Object>'.repeat(n)}</Delete>`;
    assert.equal(code(() => parseDeleteRequest(many(1000))), 'ok');
    for (const bad of [many(1001), many(0), '<Delete><Object></Object></Delete>', '<Delete><Object><Key></Key></Object></Delete>',
      '<Remove><Object><Key>k</Key></Object></Remove>', '<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>', '<Delete>']) {
      assert.equal(code(() => parseDeleteRequest(bad)), 'MalformedXML', bad.slice(0, 60));
    }
  });
});

describe('renderDeleteResult', () => {
  const outcomes = [
    { entry: { key: 'a&b<c' }, ok: true as const },
    { entry: { key: 'x', versionId: 'v1' }, ok: false as const, code: 'InvalidArgument', message: 'The specified version does not exist.' },
  ];

  it('lists Deleted and Error in request order, keys escaped', () => {
    const doc = renderDeleteResult(outcomes, false);
    assert.match(doc, /<DeleteResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Deleted><Key>a&amp;b&lt;c<\/Key><\/Deleted><Error><Key>x<\/Key><VersionId>v1<\/VersionId><Code>InvalidArgument<\/Code>/);
    assert.equal(parseXml(doc).children.length, 2);
  });

  it('omits Deleted in quiet mode but keeps errors', () => {
    const root = parseXml(renderDeleteResult(outcomes, true));
    assert.deepEqual(root.children.map((c) => c.name), ['Error']);
  });
});

describe('mapLimit', () => {
  it('keeps order and never exceeds the limit', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([...Array(50).keys()], 4, new AbortController().signal, async (i) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      running--;
      return i * 2;
    });
    assert.deepEqual(out, [...Array(50).keys()].map((i) => i * 2));
    assert.equal(peak, 4);
  });

  it('stops starting work once aborted or once a call failed', async () => {
    const ac = new AbortController();
    let started = 0;
    await assert.rejects(mapLimit([...Array(100).keys()], 2, ac.signal, async (i) => {
      started++;
      if (i === 3) ac.abort(new Error('gone'));
      await new Promise((r) => setImmediate(r));
    }), /gone/);
    assert.ok(started < 10, `started ${started}`);
    started = 0;
    await assert.rejects(mapLimit([...Array(100).keys()], 2, new AbortController().signal, async (i) => {
      started++;
      await new Promise((r) => setImmediate(r));
      if (i === 1) throw new Error('boom');
    }), /boom/);
    assert.ok(started < 10, `started ${started}`);
  });
});
