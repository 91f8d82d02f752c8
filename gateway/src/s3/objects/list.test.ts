// A listing's Contents elements (list.ts), written as one string each, are
// the bytes the element tree renders to: keys and owners needing escapes,
// url-encoded or not, with and without a checksum, ETag and owner.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { contents, urlEncodeKey } from './list.js';
import { xmlDoc, type XmlNode } from '../xml.js';
import type { ListResult } from '../../objects.js';

/** The element tree Contents were rendered from before (the reference). */
function tree(res: ListResult, enc: (s: string) => string, owner: string | null): XmlNode[] {
  return res.contents.map((o): XmlNode => ['Contents', [
    ['Key', enc(o.key)],
    ['LastModified', new Date(o.meta.lastModified).toISOString()],
    ['ETag', `"${o.meta.etag ?? ''}"`],
    ...(o.meta.checksums && Object.keys(o.meta.checksums).length ? [['ChecksumAlgorithm', Object.keys(o.meta.checksums)[0]!.toUpperCase()] as XmlNode] : []),
    ['Size', o.meta.size],
    owner !== null && ['Owner', [['ID', owner], ['DisplayName', owner]]],
    ['StorageClass', 'STANDARD'],
  ]]);
}

describe('listing Contents', () => {
  it('render as the element tree does', () => {
    const text = fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('', '&', '<', '>', '"', "'", '+', '%')).map(([s, c]) => s + c);
    const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 });
    const object = fc.record({
      key: text,
      lastModified: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      size: fc.nat(),
      etag: fc.option(fc.oneof(hex, text), { nil: undefined }),
      checksums: fc.option(fc.dictionary(fc.constantFrom('crc32', 'sha256', 'crc64nvme'), fc.base64String(), { maxKeys: 2 }), { nil: undefined }),
    });
    fc.assert(fc.property(fc.array(object, { maxLength: 5 }), fc.option(text, { nil: null }), fc.boolean(), (objects, owner, url) => {
      const res: ListResult = {
        contents: objects.map((o) => ({
          key: o.key,
          meta: { v: 1, size: o.size, blockSize: 4096, lastModified: o.lastModified, ...(o.etag !== undefined ? { etag: o.etag } : {}), ...(o.checksums ? { checksums: o.checksums } : {}) },
        })),
        commonPrefixes: [], truncated: false, next: null,
      };
      const enc = url ? urlEncodeKey : (s: string) => s;
      assert.equal(xmlDoc('ListBucketResult', contents(res, enc, owner)), xmlDoc('ListBucketResult', tree(res, enc, owner)));
    }), { numRuns: 500 });
  });
});
