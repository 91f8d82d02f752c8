// Property-based tests of the XML request-body parser and the Delete body
// on top of it: any text, and valid S3 documents with bytes flipped, cut,
// repeated or spliced, give an element tree or MalformedXML (400), never
// anything else; what the builder renders parses back to the same text.
// The handlers' own readings of CompleteMultipartUpload and
// AccessControlPolicy bodies are fuzzed through the app (app.fuzz.test.ts).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseDeleteRequest } from './objects/delete-objects.js';
import { runs, valueOrClientError } from './testing/fuzz.js';
import { throwsS3 } from './auth/testing/assert-s3.js';
import { parseXml, xmlDoc, type XmlElement } from './xml.js';

const DOCS = [
  '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a &amp; b</Key></Object><Object><Key>c</Key><VersionId>null</VersionId></Object></Delete>',
  '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"0123"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber><ETag>&quot;4567&quot;</ETag></Part></CompleteMultipartUpload>',
  '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>alice</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>alice</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>',
  '<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>',
  '<Delete><!-- c --><Object><Key><![CDATA[<x>]]></Key></Object></Delete>',
];

type Mut = { at: number; op: 'flip' | 'delete' | 'insert' | 'dup' | 'splice'; s: string; len: number };
const FRAGMENTS = ['<', '>', '/', '</', '/>', '&', '&amp;', '&#x41;', '&#xD800;', '&#1114112;', '<!--', '-->', '<![CDATA[', ']]>', '<?', '?>', '<!DOCTYPE x>', '<a:b>', '"', '\'', ' ', '\u0000', 'Object', 'Key', '<Object>', '</Object>'];
const mutArb: fc.Arbitrary<Mut> = fc.record({
  at: fc.nat(), op: fc.constantFrom('flip' as const, 'delete' as const, 'insert' as const, 'dup' as const, 'splice' as const),
  s: fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4, unit: 'binary' })), len: fc.integer({ min: 1, max: 30 }),
});

function mutate(d: string, m: Mut): string {
  const i = m.at % (d.length + 1);
  switch (m.op) {
    case 'flip': return d.slice(0, i) + String.fromCharCode((d.charCodeAt(i) ^ (m.len | 1)) & 0x7f) + d.slice(i + 1);
    case 'delete': return d.slice(0, i) + d.slice(i + m.len);
    case 'insert': return d.slice(0, i) + m.s + d.slice(i);
    case 'dup': return d.slice(0, i + m.len) + d.slice(i);
    case 'splice': return d.slice(0, i) + m.s.repeat(m.len) + d.slice(i);
  }
}

/** True when every string in the tree is well-formed UTF-16 (it survives UTF-8 encoding unchanged). */
function wellFormed(e: XmlElement): boolean {
  return Buffer.from(e.text, 'utf8').toString('utf8') === e.text && e.children.every(wellFormed);
}

describe('parseXml (fuzz)', () => {
  it('any text: an element tree or MalformedXML', () => {
    const text = fc.oneof(fc.string({ maxLength: 300, unit: 'binary' }), fc.string({ maxLength: 120, unit: fc.constantFrom(...FRAGMENTS, 'a', 'b') }));
    fc.assert(fc.property(text, (t) => {
      const e = valueOrClientError(() => parseXml(t));
      if (e) assert.ok(wellFormed(e));
    }), { numRuns: runs(3000) });
  });

  it('valid S3 request documents, mutated: an element tree or MalformedXML; a Delete body: entries or MalformedXML', () => {
    fc.assert(fc.property(fc.constantFrom(...DOCS), fc.array(mutArb, { minLength: 1, maxLength: 4 }), (doc, ms) => {
      // As the handlers get it: the body's bytes decoded as UTF-8 (no lone surrogates).
      const t = Buffer.from(ms.reduce(mutate, doc), 'utf8').toString('utf8');
      const e = valueOrClientError(() => parseXml(t));
      if (e) assert.ok(wellFormed(e));
      const d = valueOrClientError(() => parseDeleteRequest(t));
      if (d) assert.ok(d.objects.length > 0 && d.objects.every((o) => o.key !== ''));
    }), { numRuns: runs(3000) });
  });

  it('deep nesting is refused, not recursed into', () => {
    fc.assert(fc.property(fc.integer({ min: 17, max: 20_000 }), (depth) => {
      throwsS3(() => parseXml('<a>'.repeat(depth) + '</a>'.repeat(depth)), 'MalformedXML');
    }), { numRuns: runs(50) });
  });

  it('round trip: keys rendered by the builder are read back exactly by the Delete parser', () => {
    const key = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((k) => k.trim() !== '' || k.length > 0);
    fc.assert(fc.property(fc.array(key, { minLength: 1, maxLength: 5 }), fc.boolean(), (keys, quiet) => {
      const xml = xmlDoc('Delete', [quiet && ['Quiet', 'true'], ...keys.map((k) => ['Object', [['Key', k]]] as const)]);
      const d = parseDeleteRequest(xml);
      assert.equal(d.quiet, quiet);
      assert.deepEqual(d.objects.map((o) => o.key), keys);
    }), { numRuns: runs(1000) });
  });
});

describe('parseXml: fuzz corpus (inputs that found bugs)', () => {
  // A character reference to a UTF-16 surrogate is not an XML character. It
  // was decoded into a lone surrogate, which UTF-8 encoding turns into
  // U+FFFD: a DeleteObjects naming key "a&#xD800;" deleted the key "a\uFFFD".
  for (const ref of ['&#xD800;', '&#xdfff;', '&#55296;', '&#xD83D;&#xDE00;']) {
    it(`refuses the character reference ${ref}`, () => {
      throwsS3(() => parseXml(`<Delete><Object><Key>a${ref}</Key></Object></Delete>`), 'MalformedXML');
    });
  }

  it('still decodes references to characters on either side of the surrogates', () => {
    assert.equal(parseXml('<a>&#xD7FF;&#xE000;&#x1F600;&#65;</a>').text, '\uD7FF\uE000\u{1F600}A');
  });
});
