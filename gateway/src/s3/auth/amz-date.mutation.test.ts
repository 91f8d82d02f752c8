// Request timestamps parsed strictly: the exact basic ISO form and the
// HTTP date forms, rollovers refused, formatting the inverse of parsing.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { formatAmzDate, parseAmzDate, parseHttpDate } from './amz-date.js';

describe('parseAmzDate', () => {
  it('parses the exact form, boundaries included', () => {
    assert.equal(parseAmzDate('20261125T191100Z'), Date.UTC(2026, 10, 25, 19, 11, 0));
    assert.equal(parseAmzDate('20261231T235959Z'), Date.UTC(2026, 11, 31, 23, 59, 59));
    assert.equal(parseAmzDate('20240229T000000Z'), Date.UTC(2024, 1, 29));
  });

  it('refuses anything else and every rollover', () => {
    for (const s of ['x20261125T191100Z', '20261125T191100Zx', '20261125T191100', '2026-11-25T19:11:00Z', '20261325T191100Z',
      '20260231T191100Z', '20250229T000000Z', '20261125T241100Z', '20261125T196000Z', '20261125T191160Z', '20261100T191100Z', '']) {
      assert.equal(parseAmzDate(s), undefined, s);
    }
  });

  it('formatAmzDate is its inverse', () => {
    for (const ms of [Date.UTC(2026, 10, 25, 19, 11, 0), Date.UTC(2000, 0, 1, 0, 0, 0), Date.UTC(2026, 0, 2, 3, 4, 5)]) {
      const s = formatAmzDate(ms);
      assert.match(s, /^\d{8}T\d{6}Z$/);
      assert.equal(parseAmzDate(s), ms);
    }
    assert.equal(formatAmzDate(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '20260102T030405Z');
  });
});

describe('parseHttpDate', () => {
  it('RFC 7231 and RFC 822 with a numeric zone, surrounding space trimmed', () => {
    assert.equal(parseHttpDate('Wed, 25 Nov 2026 19:11:14 GMT'), Date.UTC(2026, 10, 25, 19, 11, 14));
    assert.equal(parseHttpDate('Wed, 25 Nov 2026 19:11:14 UTC'), Date.UTC(2026, 10, 25, 19, 11, 14));
    assert.equal(parseHttpDate('Wed, 25 Nov 2026 20:11:14 +0100'), Date.UTC(2026, 10, 25, 19, 11, 14));
    assert.equal(parseHttpDate('  Wed, 5 Nov 2026 19:11:14 GMT '), Date.UTC(2026, 10, 5, 19, 11, 14));
  });

  it('refuses other forms', () => {
    for (const s of ['2026-11-25T19:11:14Z', 'x Wed, 25 Nov 2026 19:11:14 GMT', 'Wed, 25 Nov 2026 19:11:14 GMTx', 'Wed, 25 Nov 2026 19:11:14',
      'Wed, 25 Foo 2026 19:11:14 GMT', '1795637466', '']) {
      assert.equal(parseHttpDate(s), undefined, s);
    }
  });
});
