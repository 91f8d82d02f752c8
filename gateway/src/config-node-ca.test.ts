// The gateway config's nodeCa (review F7): the CA file https:// nodes'
// certificates chain to, read when the config is loaded; a bad value or an
// unreadable file is one ConfigError naming it.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '@powerstore/shared/errors.js';
import { loadGatewayConfig } from './config.js';
import { minimalConfigFile } from './testing/config-file.js';

describe('gateway config: nodeCa', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-node-ca-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = minimalConfigFile('https');
  const load = (extra: Record<string, unknown>): ReturnType<typeof loadGatewayConfig> => {
    const path = join(dir, 'gateway.json');
    writeFileSync(path, JSON.stringify({ ...base, ...extra }));
    return loadGatewayConfig(path);
  };

  it('is absent unless set; when set, its PEM is read with the config', () => {
    assert.equal(load({}).nodeCa, undefined);
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const cfg = load({ nodeCa: ca });
    assert.equal(cfg.nodeCaFile, ca);
    assert.match(cfg.nodeCa!.toString(), /BEGIN CERTIFICATE/);
  });

  it('a relative nodeCa, tlsCert and tlsKey name files beside the config file, whatever the working directory (init bundles move between hosts)', () => {
    writeFileSync(join(dir, 'bundle-ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n');
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      const cfg = load({ nodeCa: 'bundle-ca.pem', tlsCert: 'cert.pem', tlsKey: 'key.pem' });
      assert.equal(cfg.nodeCaFile, join(dir, 'bundle-ca.pem'));
      assert.match(cfg.nodeCa!.toString(), /MIIC/);
      assert.deepEqual(cfg.tls, { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses a non-path value and a file that cannot be read, naming nodeCa', () => {
    for (const bad of [5, '', { file: 'x' }]) assert.throws(() => load({ nodeCa: bad }), (e: unknown) => e instanceof ConfigError && /nodeCa/.test(e.message));
    assert.throws(() => load({ nodeCa: join(dir, 'missing.pem') }), (e: unknown) => e instanceof ConfigError && /nodeCa .*missing\.pem: ENOENT/.test(e.message));
  });
});
