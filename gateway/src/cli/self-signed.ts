// A self-signed certificate for the local cluster's HTTPS endpoint, made
// once with openssl and kept in the data folder. It names localhost,
// 127.0.0.1 and (for virtual-hosted style) *.<domain>; clients trust it by
// pointing at the same file (aws --ca-bundle, NODE_EXTRA_CA_CERTS, ...).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../shared/src/errors.js';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

export function selfSignedCert(dataDir: string, domain?: string): TlsFiles {
  const dir = join(dataDir, 'tls');
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  if (existsSync(files.cert) && existsSync(files.key)) return files;
  mkdirSync(dir, { recursive: true });
  const names = ['DNS:localhost', 'IP:127.0.0.1', ...(domain ? [`DNS:${domain}`, `DNS:*.${domain}`] : [])];
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650',
      '-keyout', files.key, '-out', files.cert,
      '-subj', '/CN=PoWerStore local cluster', '-addext', `subjectAltName=${names.join(',')}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new ConfigError(`cannot make a self-signed certificate with openssl (${(e as Error).message.split('\n')[0]}); pass --tls-cert and --tls-key instead`);
  }
  return files;
}
