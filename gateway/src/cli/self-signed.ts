// Certificates the local cluster makes once with openssl and keeps in the
// data folder: a self-signed one for the HTTPS S3 endpoint (localhost,
// 127.0.0.1 and, for virtual-hosted style, *.<domain>; clients trust it by
// pointing at the same file: aws --ca-bundle, NODE_EXTRA_CA_CERTS, ...), and
// for the nodes' HTTPS listeners (review F7) a CA plus one node certificate
// for 127.0.0.1/localhost signed by it, which the gateway trusts (nodeCa).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '@powerstore/shared/errors.js';

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
 * its CA, made on first use.
 */
export function nodeCertificates(dataDir: string): NodeTlsFiles {
  const dir = join(dataDir, 'tls', 'nodes');
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'node.pem'), key: join(dir, 'node-key.pem') };
  if (existsSync(files.ca) && existsSync(files.cert) && existsSync(files.key)) return files;
  signNodeCertificates(dir, files.ca, [{ cert: files.cert, key: files.key, names: ['localhost', '127.0.0.1'] }]);
  return files;
}

/** A node certificate to make: where its PEM files go, and the host names or IP addresses it is valid for. */
export interface NodeCertRequest extends TlsFiles {
  readonly names: readonly string[];
}

/** subjectAltName entries: `IP:` for an IPv4 or IPv6 address, `DNS:` for a name. */
export function altNames(names: readonly string[]): string {
  return names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
}

/**
 * Makes a CA for the nodes (its certificate at `caFile`) and signs one
 * certificate per request with it (serverAuth, for the names asked). The
 * CA's key is deleted once it has signed: nothing else is ever signed, so a
 * stolen folder mints no certificate (a new node means a new CA: `powerstore
 * init` again). Used by the local cluster and by `powerstore init`.
 */
export function signNodeCertificates(workDir: string, caFile: string, requests: readonly NodeCertRequest[]): void {
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const caKey = join(workDir, `ca-key-${process.pid}.pem`);
  const csr = join(workDir, `node-${process.pid}.csr`);
  const openssl = (args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650', '-keyout', caKey, '-out', caFile,
      '-subj', '/CN=PoWerStore node CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    for (const r of requests) {
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', r.key, '-out', csr,
        '-subj', '/CN=PoWerStore storage node', '-addext', `subjectAltName=${altNames(r.names)}`,
        '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth']);
      openssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
        '-days', '3650', '-sha256', '-copy_extensions', 'copy', '-out', r.cert]);
      chmodSync(r.key, 0o600);
    }
  } catch (e) {
    throw new ConfigError(`cannot make the nodes' TLS certificates with openssl (${(e as Error).message.split('\n')[0]})`);
  } finally {
    rmSync(caKey, { force: true });
    rmSync(csr, { force: true });
  }
}
