// What `powerstore init` writes, before anything is written: one bundle
// (a folder) per node and per gateway, named after its host, with the
// exact command that starts it there. Pure: the Docker Compose and
// Kubernetes files are checked against these commands (integration/
// operations/deploy-files.test.ts), so what the containers run stays what
// init says.

import { isIP } from 'node:net';
import { ConfigError } from '@powerstore/shared/errors.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface Bundle {
  readonly role: 'node' | 'gateway';
  /** Node index (the order of --nodes), or gateway number. */
  readonly index: number;
  readonly host: string;
  readonly port: number;
  /** Folder name under the output folder. */
  readonly folder: string;
  /** The start command, words as given to exec (run in the bundle's folder). */
  readonly command: readonly string[];
}

export interface PlanOptions {
  /** The nodes' data folder on their hosts (relative: to the bundle folder). */
  readonly dataDir: string;
  /** Nodes serve HTTPS with a certificate from the cluster's node CA. */
  readonly tlsNodes: boolean;
}

/** Files of a node bundle and a gateway bundle. */
export const BUNDLE_FILES = {
  nodeConfig: 'node.json', nodeCert: 'node.pem', nodeKey: 'node-key.pem',
  gatewayConfig: 'gateway.json', nodeCa: 'node-ca.pem',
  startScript: 'start.sh', startText: 'START.txt',
} as const;

/** `host:port` or `[v6]:port`; one clear line for anything else. */
export function parseHostPort(text: string, flag: string): HostPort {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535 || (text.startsWith('[') && isIP(m[1]!) !== 6)) {
    throw new ConfigError(`${flag}: "${text}" is not HOST:PORT (a host name or address, and a port from 1 to 65535)`);
  }
  return { host: m[1]!, port };
}

export function parseHostList(text: string, flag: string): HostPort[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseHostPort(s, flag));
  if (list.length === 0) throw new ConfigError(`${flag} needs at least one HOST:PORT`);
  return list;
}

/** The URL a gateway reaches node `n` at. */
export function nodeUrl(n: HostPort, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${isIP(n.host) === 6 ? `[${n.host}]` : n.host}:${n.port}`;
}

/**
 * The address a process listens on: the host itself when it is an IP
 * address (several nodes on one machine's loopback addresses, or a host with
 * several interfaces), otherwise every interface (a container or host
 * known by name: the name may not resolve to itself before it is up).
 */
export function bindAddress(host: string): string {
  return isIP(host) ? host : '0.0.0.0';
}

export function planBundles(nodes: readonly HostPort[], gateways: readonly HostPort[], o: PlanOptions): Bundle[] {
  const all = [...nodes, ...gateways];
  const seen = new Set<string>();
  for (const e of all) {
    const key = `${e.host}:${e.port}`;
    if (seen.has(key)) throw new ConfigError(`${key} is given twice: every node and gateway needs its own address and port`);
    seen.add(key);
  }
  // A host that runs one process gets a folder named after it; one that runs several, a folder per port.
  const perHost = (host: string): number => all.filter((e) => e.host === host).length;
  const folder = (e: HostPort): string => (perHost(e.host) === 1 ? e.host : `${e.host}-${e.port}`).replace(/[^A-Za-z0-9.-]/g, '_');
  const f = BUNDLE_FILES;
  return [
    ...nodes.map((n, index): Bundle => ({
      role: 'node', index, host: n.host, port: n.port, folder: folder(n),
      command: ['powerstore', 'node', '--config', f.nodeConfig, '--data', o.dataDir, '--host', bindAddress(n.host), '--port', String(n.port),
        ...(o.tlsNodes ? ['--tls-cert', f.nodeCert, '--tls-key', f.nodeKey] : [])],
    })),
    ...gateways.map((g, index): Bundle => ({
      role: 'gateway', index, host: g.host, port: g.port, folder: folder(g),
      command: ['powerstore', 'gateway', '--config', f.gatewayConfig, '--host', bindAddress(g.host), '--port', String(g.port)],
    })),
  ];
}

/** A word for sh: as is when it is plainly safe, else single-quoted. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}
