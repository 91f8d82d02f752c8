// The README's compatibility table is exactly what the endpoint table says.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BEGIN, compatTable, END } from './compat-table.js';

describe('README compatibility table', () => {
  it('matches the router endpoint table (regenerate with node dist/gateway/src/s3/compat-table.js)', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    assert.ok(start >= 0 && end > start, 'README has the table markers');
    assert.equal(readme.slice(start, end + END.length), compatTable());
  });
});
