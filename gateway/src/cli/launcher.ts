// Starts a local cluster: 3t+1 storage node processes and one or more
// gateway processes (ports P, P+1, …, sharing the nodes, one config file
// data/gateway.json) on 127.0.0.1, data under one folder, optionally with
// Redis (the cluster's KEK is kept in cluster.json). Used by `npm start`
// (cli/start.ts) and by the integration tests, so tests run exactly what
// users run.

import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import type { GatewayConfigFile } from '../config.js';
import type { GatewayLimits } from '../limits.js';
import type { Credential } from '../s3/auth/credentials.js';
import { spawnChild, stopChild, type Child } from './child.js';
import { nodeCertificates, selfSignedCert, type NodeTlsFiles, type TlsFiles } from './self-signed.js';
import { writeFileDurable } from '@powerstore/shared/durable-file.js';
import { credentialsWith, gatewayConfigFor, loadOrCreateState, nodeConfigFor, type ClusterState } from './cluster-state.js';
import { lockFolder, type FolderLock } from '@powerstore/shared/folder-lock.js';
import { GATEWAY_MALLOC_ENV, GATEWAY_V8_FLAGS } from '@powerstore/shared/runtime.js';
import { DEFAULT_DRAIN_GRACE_S } from '../drain.js';

/** After its drain, the time a gateway gets to close Redis and node clients before SIGKILL. */
const STOP_MARGIN_MS = 5000;

const here = fileURLToPath(new URL('.', import.meta.url));
export const NODE_SCRIPT = resolve(here, '../../../storage-node/src/main.js');
export const GATEWAY_SCRIPT = resolve(here, '../main.js');

export interface LaunchOptions {
  readonly dataDir: string;
  readonly t?: number;
  /** Gateway port; 0 picks a free one. */
  readonly port: number;
  readonly host?: string;
  readonly accessKey?: string;
  readonly secretKey?: string;
  /** Admin token of /_powerstore/health and /metrics (default: generated once, kept in cluster.json). */
  readonly adminToken?: string;
  readonly region?: string;
  readonly blockSize?: number;
  /** Extra environment for every child (e.g. POWERSTORE_LOG_LEVEL). */
  readonly env?: NodeJS.ProcessEnv;
  /** Fault modes per node index (tests only): those nodes get --allow-faults. */
  readonly faulty?: ReadonlyMap<number, readonly string[]>;
  /**
   * HTTPS: given PEM files, or true for a self-signed pair kept in the data
   * folder. Either way the nodes serve HTTPS too, with a certificate from a
   * CA made for them in the data folder (data/tls/nodes) that the gateways trust.
   */
  readonly tls?: true | TlsFiles;
  /** Base domain for virtual-hosted style requests (bucket.<domain>). */
  readonly domain?: string;
  /** Redis URL the gateways share (a cache: live writers, key ring, clock hints). */
  readonly redis?: string;
  /** More S3 users (from a credentials file), beside the cluster's own. */
  readonly users?: readonly Credential[];
  /** TESTS ONLY: gateways with deliberately non-linearizable reads (the nemesis control). */
  readonly weakenedRead?: boolean;
  /** Number of gateway processes (default 1), on ports port, port+1, … (or free ports when port is 0). */
  readonly gateways?: number;
  /** Gateway timeouts and caps (limits.ts) written into gateway.json: tests set small ones. */
  readonly limits?: Partial<GatewayLimits>;
  /** On stop, seconds the gateways' requests in flight get to finish (their --drain-grace-s; default the gateway's, 30). */
  readonly drainGraceS?: number;
  /** Size at which each data/logs/*.log file is rotated (default 64 MiB; log-file.ts). */
  readonly logMaxBytes?: number;
  /** The gateways' background scrub: seconds between passes (their --scrub-interval-s; default off). */
  readonly scrubIntervalS?: number;
  /** Seconds between the gateways' bucket usage passes (gateway.json usageIntervalS; default 300). */
  readonly usageIntervalS?: number;
}

export interface NodeProcess {
  readonly index: number;
  child: Child | null;
  port: number;
  readonly url: string;
}

export class LocalCluster {
  readonly nodes: NodeProcess[] = [];
  /** Gateway processes by index (null while stopped). */
  readonly gateways: (Child | null)[] = [];
  private readonly gatewayPorts: number[] = [];

  /** The users of the credentials file, as last loaded (opts.users at start; reloadUsers after). */
  private users: readonly Credential[];

  private constructor(readonly opts: LaunchOptions, readonly state: ClusterState, private readonly lock: FolderLock) {
    this.users = opts.users ?? [];
  }

  /** The PEM files the gateway serves HTTPS with, if it does. */
  tlsFiles: TlsFiles | null = null;

  /** The nodes' certificate, key and CA when they serve HTTPS (with --tls). */
  nodeTlsFiles: NodeTlsFiles | null = null;

  /** The first gateway. */
  get gateway(): Child | null {
    return this.gateways[0] ?? null;
  }

  get endpoint(): string {
    return this.endpointOf(0);
  }

  /** Every gateway's endpoint, by index. */
  get endpoints(): string[] {
    return this.gatewayPorts.map((_, i) => this.endpointOf(i));
  }

  endpointOf(i: number): string {
    return `${this.tlsFiles ? 'https' : 'http'}://${this.opts.host ?? '127.0.0.1'}:${this.gatewayPorts[i]!}`;
  }

  /** The gateway config file every gateway runs with (keys rotate edits it). */
  get gatewayConfigPath(): string {
    return join(this.opts.dataDir, 'gateway.json');
  }

  get region(): string {
    return this.state.region;
  }

  get credentials(): Credential {
    return this.state.credentials[0]!;
  }

  /** `Authorization: Bearer <this>` opens the gateways' /_powerstore/health and /metrics. */
  get adminToken(): string {
    return this.state.adminToken!;
  }

  get params(): ReturnType<typeof clusterParams> {
    return clusterParams(this.state.t);
  }

  /**
   * glibc keeps freed socket buffers instead of trimming them back at once
   * (FACTS.md: trimming is much of a GET's receive cost). 32 MiB / 4 MiB is
   * the compromise measured here: most of the speed of 512 MiB / 64 MiB, and
   * the gateway stays under its 256 MB bound on a 2 GiB object.
   */
  private env(): NodeJS.ProcessEnv {
    // Children take their secrets from their config files (0600) only: not
    // from the command line (`ps` shows it to every local user), and not from
    // the secrets (or secret files) this process may have been given by
    // environment: gateway.json stays the gateways' one source.
    const { POWERSTORE_SECRET_KEY: _s, POWERSTORE_SECRET_KEY_FILE: _sf, POWERSTORE_ADMIN_TOKEN: _a, POWERSTORE_ADMIN_TOKEN_FILE: _af, ...inherited } = process.env;
    return {
      ...inherited,
      MALLOC_TRIM_THRESHOLD_: process.env.MALLOC_TRIM_THRESHOLD_ ?? String(32 * 1024 * 1024),
      MALLOC_TOP_PAD_: process.env.MALLOC_TOP_PAD_ ?? String(4 * 1024 * 1024),
      ...this.opts.env,
    };
  }

  private logOptions(): { logMaxBytes?: number } {
    return this.opts.logMaxBytes !== undefined ? { logMaxBytes: this.opts.logMaxBytes } : {};
  }

  static async start(opts: LaunchOptions): Promise<LocalCluster> {
    try {
      mkdirSync(opts.dataDir, { recursive: true });
      accessSync(opts.dataDir, constants.W_OK);
    } catch (e) {
      throw new ConfigError(`cannot use ${opts.dataDir} as the data folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    // One launcher per data folder (its nodes lock their stores too): a
    // second one would start nodes on the same stores (operations review §3).
    const lock = lockFolder(opts.dataDir, 'PoWerStore launcher');
    let c: LocalCluster;
    try {
      const state = loadOrCreateState(opts.dataDir, {
        region: opts.region ?? 'us-east-1',
        ...(opts.t !== undefined ? { t: opts.t } : {}),
        ...(opts.accessKey ? { accessKey: opts.accessKey } : {}),
        ...(opts.secretKey ? { secretKey: opts.secretKey } : {}),
        ...(opts.adminToken !== undefined ? { adminToken: opts.adminToken } : {}),
      });
      c = new LocalCluster(opts, state, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
    try {
      const { S } = clusterParams(c.state.t);
      for (const i of opts.faulty?.keys() ?? []) {
        if (!Number.isInteger(i) || i < 0 || i >= S) throw new ConfigError(`--faulty names node ${i}, but the nodes are 0 to ${S - 1}`);
      }
      if (opts.tls) c.nodeTlsFiles = nodeCertificates(opts.dataDir);
      for (let i = 0; i < S; i++) c.nodes.push({ index: i, child: null, port: 0, url: '' });
      await Promise.all(c.nodes.map((n) => c.startNode(n.index)));
      c.writeGatewayConfig();
      const count = opts.gateways ?? 1;
      for (let i = 0; i < count; i++) c.gatewayPorts.push(opts.port === 0 ? 0 : opts.port + i);
      await Promise.all(c.gatewayPorts.map((_, i) => c.startGateway(i)));
      return c;
    } catch (e) {
      await c.stop();
      throw e;
    }
  }

  /** Starts (or restarts, on its previous port) storage node i. */
  async startNode(i: number): Promise<void> {
    const n = this.nodes[i]!;
    const dir = join(this.opts.dataDir, `node-${i}`);
    const configPath = join(dir, 'node.json');
    writeFileDurable(configPath, JSON.stringify(nodeConfigFor(this.state, i), null, 2));
    const faults = this.opts.faulty?.get(i) ?? [];
    const faultArgs = faults.length ? ['--allow-faults', ...faults.flatMap((m) => ['--fault', m])] : [];
    const tls = this.nodeTlsFiles;
    const tlsArgs = tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key] : [];
    const child = await spawnChild(`node ${i}`, NODE_SCRIPT,
      ['--config', configPath, '--data', join(dir, 'store'), '--port', String(n.port), '--host', '127.0.0.1', ...tlsArgs, ...faultArgs],
      join(this.opts.dataDir, 'logs', `node-${i}.log`), this.env(), this.logOptions());
    n.child = child;
    n.port = child.port;
    (n as { url: string }).url = `${tls ? 'https' : 'http'}://127.0.0.1:${child.port}`;
  }

  /** Writes data/gateway.json from the cluster state (once per start: keys rotate may edit it later). */
  private writeGatewayConfig(): void {
    const tls = this.opts.tls;
    this.tlsFiles = tls === true ? selfSignedCert(this.opts.dataDir, this.opts.domain) : tls ?? null;
    const cfg = gatewayConfigFor(this.state, {
      nodes: this.nodes.map((n) => n.url),
      tls: this.tlsFiles,
      users: this.users,
      ...(this.opts.blockSize ? { blockSize: this.opts.blockSize } : {}),
      ...(this.nodeTlsFiles ? { nodeCa: this.nodeTlsFiles.ca } : {}),
      ...(this.opts.domain ? { domain: this.opts.domain } : {}),
      ...(this.opts.redis ? { redis: this.opts.redis } : {}),
      ...(this.opts.limits ? { limits: this.opts.limits } : {}),
      ...(this.opts.usageIntervalS !== undefined ? { usageIntervalS: this.opts.usageIntervalS } : {}),
    });
    writeFileDurable(this.gatewayConfigPath, JSON.stringify(cfg, null, 2));
  }

  /**
   * New users of the credentials file (SIGHUP on `npm start`): rewrites
   * gateway.json's credentials, durably, leaving every other field as it
   * is (keys rotate may have edited it), then sends SIGHUP to each running
   * gateway, which reloads them without a restart (credentials-reload.ts).
   * Without users (no credentials file) gateway.json is left as it is (it
   * may have been edited by hand) and only the SIGHUP is passed on.
   */
  reloadUsers(users?: readonly Credential[]): void {
    if (users) {
      this.users = users;
      const cfg = JSON.parse(readFileSync(this.gatewayConfigPath, 'utf8')) as GatewayConfigFile;
      writeFileDurable(this.gatewayConfigPath, JSON.stringify({ ...cfg, credentials: credentialsWith(this.state, this.users) }, null, 2));
    }
    for (const g of this.gateways) g?.proc.kill('SIGHUP');
  }

  /** Starts (or restarts, on its previous port) gateway i. */
  async startGateway(i: number): Promise<void> {
    const name = i === 0 ? 'gateway' : `gateway-${i}`;
    const child = await spawnChild(name, GATEWAY_SCRIPT,
      ['--config', this.gatewayConfigPath, '--port', String(this.gatewayPorts[i] ?? 0), '--host', this.opts.host ?? '127.0.0.1',
        ...(this.opts.weakenedRead ? ['--unsafe-weakened-read'] : []),
        ...(this.opts.drainGraceS !== undefined ? ['--drain-grace-s', String(this.opts.drainGraceS)] : []),
        ...(this.opts.scrubIntervalS ? ['--scrub-interval-s', String(this.opts.scrubIntervalS)] : [])],
      // A value already in the environment (or the launcher's options) wins over GATEWAY_MALLOC_ENV.
      join(this.opts.dataDir, 'logs', `${name}.log`), { ...GATEWAY_MALLOC_ENV, ...this.env() }, { ...this.logOptions(), v8Flags: GATEWAY_V8_FLAGS });
    this.gateways[i] = child;
    this.gatewayPorts[i] = child.port;
  }

  /** Stops gateway i with a signal (SIGKILL: a crash) and waits until it is gone. */
  async killGateway(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.gateways[i];
    if (!c) return;
    c.proc.kill(signal);
    await c.exited;
    this.gateways[i] = null;
  }

  /** Kills node i with a signal (SIGKILL: a crash) and waits until it is gone. */
  async killNode(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.nodes[i]!.child;
    if (!c) return;
    c.proc.kill(signal);
    await c.exited;
    this.nodes[i]!.child = null;
  }

  /**
   * Stops the gateways first, letting their requests in flight finish (they
   * drain for drainGraceS), then the nodes those requests needed; then
   * releases the data folder.
   */
  async stop(): Promise<void> {
    const running = (cs: readonly (Child | null | undefined)[]): Child[] => cs.filter((c): c is Child => c !== null && c !== undefined);
    const drainMs = (this.opts.drainGraceS ?? DEFAULT_DRAIN_GRACE_S) * 1000;
    await Promise.all(running(this.gateways).map((c) => stopChild(c, drainMs + STOP_MARGIN_MS)));
    await Promise.all(running(this.nodes.map((n) => n.child)).map((c) => stopChild(c)));
    this.lock.release();
    this.gateways.fill(null);
    for (const n of this.nodes) n.child = null;
  }
}
