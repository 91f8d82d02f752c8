// SigV2 CanonicalizedResource: every sub-resource, sorted by name then
// value, values decoded, `name=` kept; path-style and virtual-host paths.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { resourcePath, subResources } from './sigv2-resource.js';

describe('subResources', () => {
  it('keeps only sub-resources, sorted by name, `name=` kept when sent so', () => {
    assert.equal(subResources(''), '');
    assert.equal(subResources('prefix=a&max-keys=3'), '');
    assert.equal(subResources('uploads'), '?uploads');
    assert.equal(subResources('versionId=v1&acl&partNumber=2&uploadId=u%2F1&x=1'), '?acl&partNumber=2&uploadId=u/1&versionId=v1');
    assert.equal(subResources('tagging=&acl'), '?acl&tagging=');
    assert.equal(subResources('website&versioning&versions&torrent&storageClass'), '?storageClass&torrent&versioning&versions&website');
    assert.equal(subResources('uploadId=%zz'), '?uploadId=%zz');
  });

  it('orders every pair, both ways round, and repeated names by value', () => {
    const names = ['acl', 'cors', 'delete', 'location', 'uploadId=b', 'uploadId=a'];
    const want = '?acl&cors&delete&location&uploadId=a&uploadId=b';
    assert.equal(subResources(names.join('&')), want);
    assert.equal(subResources([...names].reverse().join('&')), want);
    for (let i = 0; i < names.length; i++) {
      const rotated = [...names.slice(i), ...names.slice(0, i)];
      assert.equal(subResources(rotated.join('&')), want);
    }
    assert.equal(subResources('versionId=2&versionId=10&versionId=1'), '?versionId=1&versionId=10&versionId=2');
    assert.equal(subResources('acl&acl'), '?acl&acl');
  });

  it('names every sub-resource a V2 client signs', () => {
    for (const n of ['accelerate', 'analytics', 'defaultObjectAcl', 'inventory', 'lifecycle', 'logging', 'metrics', 'notification',
      'object-lock', 'policy', 'replication', 'requestPayment', 'response-cache-control', 'response-content-disposition',
      'response-content-encoding', 'response-content-language', 'response-content-type', 'response-expires', 'restore',
      'select', 'select-type']) {
      assert.equal(subResources(`${n}=1`), `?${n}=1`, n);
    }
  });
});

describe('resourcePath', () => {
  it('path-style paths are used as sent; virtual-host ones get the bucket', () => {
    assert.equal(resourcePath('/b/k%20x', 'b', 'k x'), '/b/k%20x');
    assert.equal(resourcePath('/k%20x', 'b', 'k x'), '/b/k%20x');
    assert.equal(resourcePath('/b', 'b', undefined), '/b');
    assert.equal(resourcePath('/b/', 'b', undefined), '/b/');
    assert.equal(resourcePath('/', 'b', undefined), '/b/');
    assert.equal(resourcePath('/', undefined, undefined), '/');
    assert.equal(resourcePath('/x%zz', 'b', 'k'), '/b/x%zz');
  });
});
