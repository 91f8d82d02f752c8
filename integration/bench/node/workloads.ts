// One storage node alone, driven straight through the gateway's own client
// for it (RemoteNode, the batch client and undici, as a gateway sends): what
// a node's CPU costs a batch request, a message and a store, apart from the
// gateway, the other nodes and the S3 client. Inside `npm run bench` six busy
// processes share two cores and a figure drifts 10-30% from run to run; here
// only node 0 and this process are busy (the cluster's other processes sit
// idle), and the same figure repeats within about 10%
// (docs/performance.md). Node 0's CPU comes from its own /proc counter, its batch
// requests from its /metrics.

import { randomBytes } from 'node:crypto';
import { metricSum, type TestCluster } from '../../harness/cluster.js';
import { loadGatewayConfig } from '../../../gateway/src/config.js';
import { RemoteNode } from '../../../gateway/src/nodes/remote-node.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { blockDigest, listHash } from '@powerstore/shared/erasure/block-hash.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import type { ClusterParams } from '@powerstore/shared/protocol/params.js';
import type { RegRef } from '@powerstore/shared/node-api.js';
import { CpuMeter } from '../cpu.js';
import { runPool } from '../pool.js';

/**
 * collect: a read's first message (a key never written: an lc lookup and a
 * new pin), and the release of its pin at the read's end, which rides a
 * later batch with others as a gateway's does (pin-releases.ts); store: one
 * fragment's store, then its complete.
 */
export interface Workload {
  readonly name: string;
  readonly kind: 'collect' | 'store';
  /** Messages (collect) or stores in flight. */
  readonly concurrency: number;
  readonly count: number;
  /** store: the fragment's bytes. */
  readonly fragmentBytes?: number;
}

export interface WorkloadResult {
  readonly name: string;
  readonly count: number;
  readonly concurrency: number;
  /** Operations a second (a message, or a store and its complete). */
  readonly opsPerS: number;
  /** Node 0's CPU per operation, µs. */
  readonly nodeUsPerOp: number;
  /** Batch requests node 0 answered per operation. */
  readonly batchesPerOp: number;
  /** This process's CPU per operation, µs (the gateway's side of it, and the drive's own work). */
  readonly driverUsPerOp: number;
}

/** Node 0 of a started test cluster, with the gateway's client for it. */
export class NodeAlone {
  private readonly node: RemoteNode;
  private readonly keys: SecretWriterKeyring;
  private readonly params: ClusterParams;
  private readonly blockSize: number;
  private readonly pid: number;
  private readonly metricsUrl: string;
  private readonly signal = new AbortController().signal;
  private op = 0;
  /** Keys are never reused across workloads: every store is a new register. */
  private run = 0;

  constructor(tc: TestCluster) {
    const cfg = loadGatewayConfig(tc.cluster.gatewayConfigPath);
    this.keys = new SecretWriterKeyring(cfg.secrets, cfg.currentEpoch);
    this.params = cfg.params;
    this.blockSize = cfg.blockSize;
    const url = cfg.nodes[0];
    const pid = tc.cluster.nodes[0]?.child?.proc.pid;
    if (!url || pid === undefined) throw new Error('the cluster has no node 0 process');
    this.node = new RemoteNode({ index: 0, url, keys: this.keys, S: this.params.S, requestTimeoutMs: 60_000 });
    this.pid = pid;
    this.metricsUrl = `${url}/metrics`;
  }

  async measure(w: Workload): Promise<WorkloadResult> {
    const tag = `r${++this.run}-`;
    const releases: Promise<boolean>[] = [];
    const one = w.kind === 'collect' ? this.collectOne(tag, releases) : this.storeOne(tag, w.fragmentBytes ?? 0);
    const batchesBefore = await this.batches();
    const cpu = new CpuMeter([{ name: 'node-0', pid: this.pid }]);
    const { wallMs } = await runPool(w.count, w.concurrency, async (i) => {
      await one(i);
      return 0;
    });
    // The last releases wait up to RELEASE_HOLD_MS for company: counted, but not in the rate.
    if (!(await Promise.all(releases)).every(Boolean)) throw new Error('node 0 refused a pin release');
    const used = cpu.stop().usedS;
    const batches = (await this.batches()) - batchesBefore;
    return {
      name: w.name, count: w.count, concurrency: w.concurrency,
      opsPerS: (w.count / wallMs) * 1000,
      nodeUsPerOp: (used.nodes * 1e6) / w.count,
      batchesPerOp: batches / w.count,
      driverUsPerOp: (used.client * 1e6) / w.count,
    };
  }

  close(): Promise<void> {
    return this.node.close();
  }

  private collectOne(tag: string, releases: Promise<boolean>[]): (i: number) => Promise<void> {
    return async (i) => {
      const ref: RegRef = { ns: 'node-alone', key: `${tag}${i}` };
      const readId = `${tag}read${i}`;
      const lc = await this.node.collect(ref, readId, this.signal);
      if (lc !== null) throw new Error(`collect of a key never written found ${JSON.stringify(lc.ts)}`);
      releases.push(this.node.pin(ref, readId, 'release', null, this.signal));
    };
  }

  /** A write's store of node 0's fragment (its block list bound into cc[0], as a gateway's writer does), then its complete. */
  private storeOne(tag: string, bytes: number): (i: number) => Promise<void> {
    const fragment = randomBytes(bytes);
    const blocks: Buffer[] = [];
    for (let at = 0; at < bytes; at += this.blockSize) blocks.push(blockDigest('blake3', fragment.subarray(at, Math.min(bytes, at + this.blockSize))));
    const cc0 = listHash('blake3', Buffer.concat(blocks));
    const meta = Buffer.from(JSON.stringify({ size: bytes * this.params.k }));
    return async (i) => {
      const ref: RegRef = { ns: 'node-alone', key: `${tag}${i}` };
      const cc = [cc0, ...Array.from({ length: this.params.S - 1 }, () => randomBytes(32))];
      const w = prepareWrite(this.keys, this.params, regId(ref.ns, ref.key), null, 'b0b0b0b0b0b0b0b0', ++this.op, cc, meta);
      const msg: StoreCommit = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc, meta };
      await this.node.storeWhole(ref, this.blockSize, 'blake3', fragment, msg, this.signal);
      const lc = await this.node.complete(ref, w.candidate, this.signal);
      if (!lc || lc.num !== w.candidate.ts.num || lc.writer !== w.candidate.ts.writer) throw new Error(`node 0 did not take store ${i}: lc ${JSON.stringify(lc)}`);
    };
  }

  /** Batch requests node 0 has answered (its /metrics). */
  private async batches(): Promise<number> {
    return metricSum(await (await fetch(this.metricsUrl)).text(), 'powerstore_node_requests_total', { route: '/v1/batch' });
  }
}
