// `powerstore init`: the configuration of a cluster whose nodes and gateways
// run on named hosts (issue 13, item 2). Writes one folder per node and per
// gateway (init-plan.ts): its config file, its TLS files, and start.sh /
// START.txt with the exact command that starts it there. Each process starts
// from its own folder alone; a node's folder holds only that node's keys.
// The config files come from the same functions as the local cluster's
// (cluster-state.ts), the certificates from the same CA maker (self-signed.ts).

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { intFlag, parseCommand, stringFlag, type CommandSpec } from '@powerstore/shared/config.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { MAX_T } from '@powerstore/shared/protocol/params.js';
import { writeFileDurable } from '@powerstore/shared/durable-file.js';
import { parseGatewayConfig, type GatewayConfigFile } from '../config.js';
import { redact, redisUrlFlag } from '../redis/link.js';
import { applyGiven, gatewayConfigFor, newClusterState, nodeConfigFor, type ClusterState } from './cluster-state.js';
import { adminTokenGiven, secretKeyGiven } from './given-secrets.js';
import { BUNDLE_FILES as F, commandLine, nodeUrl, parseHostList, planBundles, type Bundle } from './init-plan.js';
import { signNodeCertificates } from './self-signed.js';

export const DEFAULT_NODE_DATA = '/var/lib/powerstore';

export const INIT_COMMAND: CommandSpec = {
  name: 'powerstore init',
  summary: 'The configuration of a cluster on named hosts: a folder per node and per gateway (config, keys, TLS files, start.sh) to copy to its host.',
  flags: {
    out: { type: 'string', describe: 'output folder (refused if it exists and is not empty, unless --force)' },
    nodes: { type: 'string', describe: 'the storage nodes, in index order: HOST:PORT,HOST:PORT,... (3t+1 of them)' },
    gateways: { type: 'string', describe: 'the gateways: HOST:PORT,...' },
    t: { type: 'string', describe: 'tolerated faulty nodes (default: from the number of --nodes, which must be 3t+1)' },
    'tls-nodes': { type: 'boolean', describe: 'nodes serve HTTPS with certificates from a CA made for this cluster; gateways trust only it' },
    redis: { type: 'string', describe: 'Redis URL the gateways share (optional cache; the key-encryption key is generated)' },
    'data-dir': { type: 'string', describe: `each node's data folder on its host (default ${DEFAULT_NODE_DATA}; relative: in the node's folder)` },
    region: { type: 'string', env: 'POWERSTORE_REGION', describe: 'S3 region (default us-east-1)' },
    'access-key': { type: 'string', env: 'POWERSTORE_ACCESS_KEY', describe: 'S3 access key (default: generated)' },
    'secret-key': { type: 'string', env: 'POWERSTORE_SECRET_KEY', describe: 'S3 secret key (prefer POWERSTORE_SECRET_KEY or --secret-key-file)' },
    'secret-key-file': { type: 'string', env: 'POWERSTORE_SECRET_KEY_FILE', describe: 'file holding the S3 secret key' },
    'admin-token-file': { type: 'string', env: 'POWERSTORE_ADMIN_TOKEN_FILE', describe: 'file holding the admin token of /_powerstore/health and /metrics (default: generated)' },
    force: { type: 'boolean', describe: 'write into an existing folder (a new cluster: new secrets; old bundles there are replaced)' },
  },
};

/** `powerstore init`: exit code 0 once every bundle is written. */
export async function initMain(argv: readonly string[]): Promise<number> {
  const f = parseCommand(argv, INIT_COMMAND);
  const outFlag = stringFlag(f.out);
  const nodesFlag = stringFlag(f.nodes);
  const gatewaysFlag = stringFlag(f.gateways);
  if (!outFlag) throw new ConfigError('--out is required: the folder to write the bundles into');
  if (!nodesFlag) throw new ConfigError('--nodes is required: HOST:PORT,... of the 3t+1 storage nodes');
  if (!gatewaysFlag) throw new ConfigError('--gateways is required: HOST:PORT,... of the gateways');
  const nodes = parseHostList(nodesFlag, '--nodes');
  const gateways = parseHostList(gatewaysFlag, '--gateways');
  const t = f.t !== undefined ? intFlag(f.t, 't', 1, MAX_T, 1) : (nodes.length - 1) / 3;
  if (!Number.isInteger(t) || t < 1 || nodes.length !== 3 * t + 1) {
    throw new ConfigError(`--nodes lists ${nodes.length} nodes; a cluster has 3t+1 (4 for t=1, 7 for t=2, ...)${f.t !== undefined ? `, ${3 * t + 1} for --t ${t}` : ''}`);
  }
  const redis = redisUrlFlag(stringFlag(f.redis));
  const tlsNodes = f['tls-nodes'] === true;
  const bundles = planBundles(nodes, gateways, { dataDir: stringFlag(f['data-dir']) ?? DEFAULT_NODE_DATA, tlsNodes });
  const out = resolve(outFlag);
  if (existsSync(out) && readdirSync(out).length > 0 && f.force !== true) {
    throw new ConfigError(`${out} exists and is not empty (a cluster's secrets may be in it); give another --out, or --force to write a new cluster over it`);
  }
  const state = newClusterState(t, stringFlag(f.region) ?? 'us-east-1');
  const accessKey = stringFlag(f['access-key']);
  const secretKey = secretKeyGiven(f);
  const adminToken = adminTokenGiven(f);
  applyGiven(state, {
    ...(accessKey ? { accessKey } : {}), ...(secretKey ? { secretKey } : {}), ...(adminToken !== undefined ? { adminToken } : {}),
  });
  const gateway = gatewayConfigFor(state, {
    nodes: nodes.map((n) => nodeUrl(n, tlsNodes)),
    ...(tlsNodes ? { nodeCa: F.nodeCa } : {}), // beside gateway.json (relative names are: config.ts)
    ...(redis ? { redis } : {}),
  });
  // Checked as a gateway will check it, before anything is written (a bad --region, say).
  parseGatewayConfig(gateway, 'to be written');
  writeBundles(out, bundles, state, gateway, tlsNodes);
  process.stdout.write(summary(out, bundles, state, t, redis));
  return 0;
}

/** Writes every bundle folder (replacing one of the same name), owner-only: they hold keys. */
function writeBundles(out: string, bundles: readonly Bundle[], state: ClusterState, gateway: GatewayConfigFile, tlsNodes: boolean): void {
  mkdirSync(out, { recursive: true, mode: 0o700 });
  for (const b of bundles) {
    rmSync(join(out, b.folder), { recursive: true, force: true });
    mkdirSync(join(out, b.folder), { mode: 0o700 });
  }
  const caFile = join(out, F.nodeCa);
  if (tlsNodes) {
    signNodeCertificates(out, caFile, bundles.filter((b) => b.role === 'node').map((b) => ({
      cert: join(out, b.folder, F.nodeCert), key: join(out, b.folder, F.nodeKey), names: [b.host],
    })));
  }
  const gatewayFile = JSON.stringify(gateway, null, 2);
  for (const b of bundles) {
    const dir = join(out, b.folder);
    if (b.role === 'node') {
      writeFileDurable(join(dir, F.nodeConfig), JSON.stringify(nodeConfigFor(state, b.index), null, 2));
    } else {
      writeFileDurable(join(dir, F.gatewayConfig), gatewayFile);
      if (tlsNodes) copyFileSync(caFile, join(dir, F.nodeCa));
    }
    writeFileSync(join(dir, F.startScript), startScript(b, state.t), { mode: 0o700 });
    writeFileDurable(join(dir, F.startText), startText(b, state.t, tlsNodes));
  }
}

function title(b: Bundle, t: number): string {
  return `${b.role === 'node' ? `storage node ${b.index}` : `gateway ${b.index}`} of a PoWerStore S3 cluster (t=${t}), on host ${b.host} port ${b.port}`;
}

function startScript(b: Bundle, t: number): string {
  return [
    '#!/bin/sh',
    `# ${title(b, t)}: written by \`powerstore init\`.`,
    '# Run on that host (with `powerstore` on the PATH); it starts from this folder\'s files alone.',
    'cd "$(dirname "$0")" || exit 1',
    `exec ${commandLine(b.command)}`,
    '',
  ].join('\n');
}

function startText(b: Bundle, t: number, tlsNodes: boolean): string {
  const node = b.role === 'node';
  return [
    `This folder is ${title(b, t)}.`,
    `Copy it to ${b.host} (it holds ${node ? 'this node\'s keys' : 'the cluster\'s secrets and S3 credentials'}: keep it owner-only), and there, in this folder, run`,
    '',
    `  ${commandLine(b.command)}`,
    '',
    'or ./start.sh, which does the same from anywhere. Under a service manager, make start.sh the service (systemd: ExecStart= its full path).',
    ...(node
      ? [`The node creates its data folder (${b.command[b.command.indexOf('--data') + 1]}, mode 0700) if it is missing. Stop it with SIGTERM.`]
      : ['S3 clients use this gateway\'s endpoint with the access key in gateway.json ("credentials").',
        `Admin commands read this gateway.json: powerstore status --config gateway.json; powerstore heal --config gateway.json${tlsNodes ? ' (node-ca.pem beside it)' : ''}.`]),
    '',
  ].join('\n');
}

function summary(out: string, bundles: readonly Bundle[], state: ClusterState, t: number, redis: string | undefined): string {
  const gws = bundles.filter((b) => b.role === 'gateway');
  const w = Math.max(...bundles.map((b) => b.folder.length));
  const scheme = (b: Bundle): string => `http://${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;
  return [
    `a t=${t} cluster: ${3 * t + 1} storage nodes and ${gws.length === 1 ? 'a gateway' : `${gws.length} gateways`}, written to ${out}`,
    `  endpoint${gws.length === 1 ? ': ' : 's:'}  ${gws.map(scheme).join(', ')}`,
    `  region:     ${state.region}`,
    `  access key: ${state.credentials[0]!.accessKey} (secret key: "credentials" in each gateway.json)`,
    ...(redis ? [`  redis:      ${redact(redis)}`] : []),
    '',
    'Copy each folder to its host and run ./start.sh there (START.txt says the same):',
    ...bundles.map((b) => `  ${join(out, b.folder).padEnd(out.length + 1 + w)}  -> ${b.role} ${b.index} on ${b.host}: ${commandLine(b.command)}`),
    '',
  ].join('\n');
}
