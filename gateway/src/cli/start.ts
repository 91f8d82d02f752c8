// `npm start`: a local cluster (3t+1 storage nodes and one or more gateways
// on 127.0.0.1, data under ./data, optionally sharing a Redis), printing the
// endpoints, region and credentials. Ctrl-C or SIGTERM stops everything; starting again on the
// same folder keeps every object.

import { resolve } from 'node:path';
import { intFlag, isMainModule, parseCommand, runCli, stringFlag, type CommandSpec } from '@powerstore/shared/config.js';
import { MAX_T } from '@powerstore/shared/protocol/params.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { LocalCluster } from './launcher.js';
import { DEFAULT_DRAIN_GRACE_S } from '../drain.js';

/** How often the launcher checks that its parent is still there. */
const PARENT_CHECK_MS = 500;
import { loadCredentialsFile } from './credentials-file.js';
import { redact, redisUrlFlag } from '../redis/link.js';
import { MAX_SCRUB_INTERVAL_S } from '../config.js';
import { adminTokenGiven, secretKeyGiven } from './given-secrets.js';

// The data folder, logs and certificates this launcher creates are its account's only (review F8).
process.umask(0o077);

export const START_COMMAND: CommandSpec = {
  name: 'powerstore start',
  summary: 'A local cluster on this machine: 3t+1 storage nodes and one or more gateways on 127.0.0.1, data under one folder; prints the endpoint and credentials.',
  flags: {
    t: { type: 'string', env: 'POWERSTORE_T', describe: 'tolerated faulty nodes (3t+1 nodes run)' },
    data: { type: 'string', env: 'POWERSTORE_DATA', describe: 'data folder' },
    port: { type: 'string', env: 'POWERSTORE_PORT', describe: 'gateway port' },
    'access-key': { type: 'string', env: 'POWERSTORE_ACCESS_KEY', describe: 'S3 access key' },
    'secret-key': { type: 'string', env: 'POWERSTORE_SECRET_KEY', describe: 'S3 secret key (prefer POWERSTORE_SECRET_KEY or --secret-key-file: `ps` shows flags to every local user)' },
    'secret-key-file': { type: 'string', env: 'POWERSTORE_SECRET_KEY_FILE', describe: 'file holding the S3 secret key' },
    'admin-token-file': { type: 'string', env: 'POWERSTORE_ADMIN_TOKEN_FILE', describe: 'file holding the admin token of /_powerstore/health and /metrics (or POWERSTORE_ADMIN_TOKEN; default: generated once)' },
    region: { type: 'string', env: 'POWERSTORE_REGION', describe: 'S3 region' },
    tls: { type: 'boolean', env: 'POWERSTORE_TLS', describe: 'serve HTTPS with a self-signed certificate kept in the data folder' },
    'tls-cert': { type: 'string', env: 'POWERSTORE_TLS_CERT', describe: 'serve HTTPS with this PEM certificate' },
    'tls-key': { type: 'string', env: 'POWERSTORE_TLS_KEY', describe: 'private key of --tls-cert' },
    domain: { type: 'string', env: 'POWERSTORE_DOMAIN', describe: 'base domain for virtual-hosted style (bucket.DOMAIN)' },
    redis: { type: 'string', env: 'POWERSTORE_REDIS_URL', describe: 'Redis URL the gateways share (optional cache)' },
    gateways: { type: 'string', env: 'POWERSTORE_GATEWAYS', describe: 'number of gateways, on ports P, P+1, …' },
    credentials: { type: 'string', env: 'POWERSTORE_CREDENTIALS', describe: 'JSON file of more S3 users: [{accessKey, secretKey, user, access?, buckets?}] (access: read-only, append-only or read-write; buckets: the only ones the key may use); SIGHUP reloads it' },
    'drain-grace-s': { type: 'string', env: 'POWERSTORE_DRAIN_GRACE_S', describe: `on Ctrl-C or SIGTERM: seconds requests in flight get to finish (default ${DEFAULT_DRAIN_GRACE_S})` },
    'scrub-interval-s': { type: 'string', env: 'POWERSTORE_SCRUB_INTERVAL_S', describe: 'the gateways\' background scrub: seconds between passes (default 0: off)' },
    'log-max-mb': { type: 'string', env: 'POWERSTORE_LOG_MAX_MB', describe: 'rotate each log file in DATA/logs at this size (default 64; 3 old files kept)' },
    faulty: { type: 'string', multiple: true, describe: 'INDEX:MODE[,MODE]: make node INDEX misbehave on purpose (tests, demos)' },
  },
};

/** `powerstore start` (`npm start`): runs until Ctrl-C or SIGTERM. */
export async function startMain(argv: readonly string[]): Promise<void> {
  const f = parseCommand(argv, START_COMMAND);
  const t = f.t === undefined ? undefined : intFlag(f.t, 't', 1, MAX_T, 1);
  const dataDir = resolve(stringFlag(f.data) ?? 'data');
  const port = intFlag(f.port, 'port', 0, 65535, 9000);
  const accessKey = stringFlag(f['access-key']);
  const secretKey = secretKeyGiven(f);
  const adminToken = adminTokenGiven(f);
  const region = stringFlag(f.region);
  const tlsCert = stringFlag(f['tls-cert']);
  const tlsKey = stringFlag(f['tls-key']);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ConfigError('give both --tls-cert and --tls-key (or neither)');
  const domain = stringFlag(f.domain);
  if (domain !== undefined && !/^[a-z0-9.-]+$/i.test(domain)) throw new ConfigError(`--domain must be a host name, got "${domain}"`);
  const redis = redisUrlFlag(stringFlag(f.redis));
  const gateways = intFlag(f.gateways, 'gateways', 1, 64, 1);
  const scrubIntervalS = intFlag(f['scrub-interval-s'], 'scrub-interval-s', 0, MAX_SCRUB_INTERVAL_S, 0);
  const logMaxBytes = intFlag(f['log-max-mb'], 'log-max-mb', 1, 1_000_000, 64) * 1024 * 1024;
  const drainGraceS = intFlag(f['drain-grace-s'], 'drain-grace-s', 0, 3600, DEFAULT_DRAIN_GRACE_S);
  const credentialsFile = stringFlag(f.credentials);
  const users = credentialsFile ? loadCredentialsFile(resolve(credentialsFile)) : [];
  const faulty = new Map<number, string[]>();
  for (const spec of (f.faulty as string[] | undefined) ?? []) {
    const m = /^(\d+):([a-z-]+(,[a-z-]+)*)$/.exec(spec);
    if (!m) throw new ConfigError(`--faulty must look like INDEX:MODE[,MODE] (for example 1:corrupt), got "${spec}"`);
    faulty.set(Number(m[1]), [...(faulty.get(Number(m[1])) ?? []), ...m[2]!.split(',')]);
  }
  const tls = tlsCert && tlsKey ? { cert: resolve(tlsCert), key: resolve(tlsKey) } : f.tls === true ? true as const : undefined;
  const cluster = await LocalCluster.start({
    dataDir, port,
    ...(t !== undefined ? { t } : {}),
    ...(accessKey ? { accessKey } : {}),
    ...(secretKey ? { secretKey } : {}),
    ...(adminToken !== undefined ? { adminToken } : {}),
    ...(region ? { region } : {}),
    ...(tls ? { tls } : {}),
    ...(domain ? { domain } : {}),
    ...(redis ? { redis } : {}),
    gateways,
    drainGraceS,
    logMaxBytes,
    ...(scrubIntervalS ? { scrubIntervalS } : {}),
    ...(faulty.size ? { faulty } : {}),
    ...(users.length ? { users } : {}),
  });
  const c = cluster.credentials;
  const { t: tt, S } = cluster.params;
  process.stdout.write([
    `PoWerStore S3 is running: ${S} storage nodes (t=${tt}) and ${gateways === 1 ? 'a gateway' : `${gateways} gateways`}`,
    `  endpoint:   ${cluster.endpoint}`,
    ...cluster.endpoints.slice(1).map((e) => `              ${e}`),
    `  region:     ${cluster.region}`,
    `  access key: ${c.accessKey}`,
    `  secret key: ${c.secretKey}`,
    `  admin token: ${cluster.adminToken} (for ${cluster.endpoint}/_powerstore/health and /metrics)`,
    `  data:       ${dataDir} (logs in ${dataDir}/logs)`,
    ...(cluster.tlsFiles ? [`  TLS cert:   ${cluster.tlsFiles.cert} (for self-signed: aws --ca-bundle, NODE_EXTRA_CA_CERTS)`] : []),
    ...(domain ? [`  domain:     ${domain} (virtual-hosted style: BUCKET.${domain})`] : []),
    ...(redis ? [`  redis:      ${redact(redis)} (gateways: npm run powerstore -- gateways --config ${cluster.gatewayConfigPath})`] : []),
    '',
    'Try it:',
    `  export AWS_ACCESS_KEY_ID=${c.accessKey} AWS_SECRET_ACCESS_KEY=${c.secretKey} AWS_DEFAULT_REGION=${cluster.region}`,
    `  aws --endpoint-url ${cluster.endpoint} s3 mb s3://demo`,
    `  aws --endpoint-url ${cluster.endpoint} s3 cp ./README.md s3://demo/`,
    `  curl -H "Authorization: Bearer ${cluster.adminToken}" ${cluster.endpoint}/_powerstore/health`,
    '',
    'Ctrl-C stops the cluster.',
    '',
  ].join('\n'));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`stopping: requests in flight get up to ${drainGraceS} s to finish...\n`);
    cluster.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // SIGHUP: the credentials file again (new keys, changed access levels and
  // bucket lists), passed on to the gateways without a restart. A file that
  // no longer loads changes nothing: one line on stderr, the old keys stay.
  process.on('SIGHUP', () => {
    if (stopping) return;
    try {
      const again = credentialsFile ? loadCredentialsFile(resolve(credentialsFile)) : undefined;
      cluster.reloadUsers(again);
      process.stdout.write(again
        ? `credentials reloaded: ${again.length} ${again.length === 1 ? 'key' : 'keys'} from ${credentialsFile}; gateways told (SIGHUP)\n`
        : 'SIGHUP passed on: the gateways reload the credentials of gateway.json\n');
    } catch (e) {
      process.stderr.write(`credentials not reloaded (the previous ones stay): ${(e as Error).message}\n`);
    }
  });
  // `npm start` in the background, then `kill <npm's pid>`: npm exits without
  // passing the signal on, and this process is handed to init (or a
  // subreaper). A changed parent means whoever started the cluster is gone:
  // stop it rather than keep serving, orphaned, on the port.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      process.stderr.write(`the process that started this cluster (pid ${parent}) is gone; stopping\n`);
      stop();
    }
  }, PARENT_CHECK_MS).unref();
  for (const n of cluster.nodes) {
    void n.child?.exited.then((code) => {
      if (!stopping) process.stderr.write(`storage node ${n.index} exited (${code}); the cluster keeps serving while at most t nodes are down\n`);
    });
  }
  cluster.gateways.forEach((g, i) => void g?.exited.then((code) => {
    if (stopping) return;
    process.stderr.write(`gateway ${i} exited (${code}); stopping\n`);
    stop();
  }));
}

if (isMainModule(import.meta.url)) runCli(() => startMain(process.argv.slice(2)));
