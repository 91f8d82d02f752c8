// Test harness: a real local cluster (the same launcher `npm start` uses) in
// a temporary folder, and clients pointed at it.

import { S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type LaunchOptions } from '../../gateway/src/cli/launcher.js';

export interface TestCluster {
  readonly cluster: LocalCluster;
  readonly dir: string;
  readonly s3: S3Client;
  /** Fresh client with extra options. */
  client(extra?: Partial<ConstructorParameters<typeof S3Client>[0]>): S3Client;
  /** Stops the processes (the folder stays until dispose). */
  stop(): Promise<void>;
  /** Stops and removes the folder. */
  dispose(): Promise<void>;
}

/**
 * The admin token of every test cluster (unless a test gives its own):
 * opens /_powerstore/health and /metrics for metric() and adminGet().
 */
export const TEST_ADMIN_TOKEN = 'integration-test-admin-token';

/** GET of an admin endpoint (`path` like "/_powerstore/health") with the test clusters' admin token. */
export function adminGet(endpoint: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${endpoint}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
}

export async function startTestCluster(opts: Partial<LaunchOptions> = {}): Promise<TestCluster> {
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ps-it-'));
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start({
      port: 0,
      adminToken: TEST_ADMIN_TOKEN,
      // A test that stops its cluster with requests still hanging need not wait the default 30 s.
      drainGraceS: 2,
      ...opts,
      dataDir: dir,
      env: { POWERSTORE_LOG_LEVEL: process.env.POWERSTORE_TEST_LOG_LEVEL ?? 'warn', ...opts.env },
    });
  } catch (e) {
    if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  // Over HTTPS the clients trust the cluster's (self-signed) certificate and nothing else.
  const ca = cluster.tlsFiles ? readFileSync(cluster.tlsFiles.cert) : null;
  const client = (extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client =>
    new S3Client({
      endpoint: cluster.endpoint,
      region: cluster.region,
      forcePathStyle: true,
      credentials: { accessKeyId: cluster.credentials.accessKey, secretAccessKey: cluster.credentials.secretKey },
      ...(ca ? { requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca, keepAlive: true }) }) } : {}),
      ...extra,
    });
  const s3 = client();
  return {
    cluster, dir, s3, client,
    stop: () => cluster.stop(),
    async dispose() {
      s3.destroy();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Prometheus counter value from the gateway's metrics (sum over series matching the labels). */
export async function metric(endpoint: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricSum(await (await adminGet(endpoint, '/_powerstore/metrics')).text(), name, labels);
}

/** A counter's value in Prometheus text (any process's /metrics): the sum over series matching the labels. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{([^}]*)\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = Object.fromEntries((m[3] ?? '').split(',').filter(Boolean).map((kv) => {
      const [k, v] = kv.split('=');
      return [k, v!.replace(/^"|"$/g, '')];
    }));
    if (Object.entries(labels).every(([k, v]) => ls[k] === v)) sum += Number(m[4]);
  }
  return sum;
}
