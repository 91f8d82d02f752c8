// Certificates the local cluster makes once with openssl and keeps in the
// data folder: a self-signed one for the HTTPS S3 endpoint (localhost,
// 127.0.0.1 and, for virtual-hosted style, *.<domain>; clients trust it by
// pointing at the same file: aws --ca-bundle, NODE_EXTRA_CA_CERTS, ...), and
// for the nodes' HTTPS listeners (review F7) a CA plus one node certificate
// for 127.0.0.1/localhost signed by it, which the gateway trusts (nodeCa).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
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

export interface NodeTlsFiles extends TlsFiles {
  /** The CA certificate the node certificate chains to (the gateway's nodeCa). */
  readonly ca: string;
}

/**
 * The nodes' certificate (one for all: they all listen on 127.0.0.1) and
 * its CA, made on first use. The CA's key is deleted once it has signed:
 * nothing else is ever signed, so a stolen data folder mints no certificate.
 */
export function nodeCertificates(dataDir: string): NodeTlsFiles {
  const dir = join(dataDir, 'tls', 'nodes');
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'node.pem'), key: join(dir, 'node-key.pem') };
  if (existsSync(files.ca) && existsSync(files.cert) && existsSync(files.key)) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, 'ca-key.pem');
  const csr = join(dir, 'node.csr');
  const openssl = (args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650', '-keyout', caKey, '-out', files.ca,
      '-subj', '/CN=PoWerStore local cluster node CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', files.key, '-out', csr,
      '-subj', '/CN=PoWerStore storage node', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth']);
    openssl(['x509', '-req', '-in', csr, '-CA', files.ca, '-CAkey', caKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
      '-days', '3650', '-sha256', '-copy_extensions', 'copy', '-out', files.cert]);
  } catch (e) {
    throw new ConfigError(`cannot make the nodes' TLS certificates with openssl (${(e as Error).message.split('\n')[0]})`);
  } finally {
    rmSync(caKey, { force: true });
    rmSync(csr, { force: true });
  }
  chmodSync(files.key, 0o600);
  return files;
}
