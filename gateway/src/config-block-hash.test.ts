// The gateway config's blockHash: what the gateway's writes hash fragment
// blocks with (BLAKE3 unless it says SHA-256, for nodes of an older
// version); anything else is one ConfigError naming it.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConfigError } from '@powerstore/shared/errors.js';
import { parseGatewayConfig } from './config.js';
import { minimalConfigFile } from './testing/config-file.js';

describe('gateway config: blockHash', () => {
  const base = minimalConfigFile();

  it('is BLAKE3 unless set; sha256 and blake3 are taken', () => {
    assert.equal(parseGatewayConfig(base, 'g.json').blockHash, 'blake3');
    assert.equal(parseGatewayConfig({ ...base, blockHash: 'sha256' }, 'g.json').blockHash, 'sha256');
    assert.equal(parseGatewayConfig({ ...base, blockHash: 'blake3' }, 'g.json').blockHash, 'blake3');
  });

  it('anything else is refused in one line', () => {
    for (const bad of ['md5', 'SHA256', 1, null]) {
      assert.throws(() => parseGatewayConfig({ ...base, blockHash: bad }, 'g.json'),
        (e: unknown) => e instanceof ConfigError && /blockHash must be "blake3" or "sha256"/.test(e.message) && !e.message.includes('\n'));
    }
  });
});
