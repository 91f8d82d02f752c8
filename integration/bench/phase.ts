// One phase of the bench: `count` objects of one size put into (or got back
// from, or put again into) a bucket, `concurrency` at a time, every GET body
// compared with what was put. A PUT's latency runs from sending the request to its response; a
// GET's to the last byte of the body, checked as it arrives.

import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { ContentCheck, objectBody, objectStream } from './content.js';
import { CpuMeter, type CpuShare } from './cpu.js';
import { withDeadline } from './deadline.js';
import { counterDelta, readCounters, type ProtocolCounters, type ProtocolOp } from './counters.js';
import { MiB, sizeLabel, type SizeSpec } from './plan.js';
import { runPool, type PoolRun } from './pool.js';
import type { Peaks, RssWatch, Watched } from './rss.js';

/** put: new keys; get: read back and verified; overwrite: the same keys written again (steady state: clock hints apply). */
export type BenchOp = 'put' | 'get' | 'overwrite';

export interface PhaseResult extends SizeSpec {
  readonly op: BenchOp;
  readonly run: PoolRun;
  readonly protocol: ProtocolCounters;
  readonly peaks: Peaks;
  readonly cpu: CpuShare;
}

export interface PhaseEnv {
  readonly s3: S3Client;
  readonly endpoint: string;
  readonly rss: RssWatch;
  readonly procs: readonly Watched[];
}

// Up to this size a body is a Buffer (sent plain, SHA-256 signed); above it,
// a stream with a ContentLength (sent aws-chunked with a CRC32 trailer), as
// clients upload big files.
const BUFFER_MAX = 1 * MiB;

export const keyOf = (i: number): string => `obj-${i}`;

const PROTOCOL_OP: Record<BenchOp, ProtocolOp> = { put: 'write', get: 'read', overwrite: 'write' };

/** A phase that did not complete, with what was measured until then. */
export class PhaseError extends Error {
  constructor(readonly op: BenchOp, readonly spec: SizeSpec, readonly peaks: Peaks, readonly wallMs: number, cause: unknown) {
    super(`${op} ${sizeLabel(spec.size)} x ${spec.count} failed after ${(wallMs / 1000).toFixed(1)} s: ` +
      (cause instanceof Error ? cause.message : String(cause)), { cause });
  }
}

export async function runPhase(env: PhaseEnv, op: BenchOp, spec: SizeSpec, bucket: string): Promise<PhaseResult> {
  const one = op === 'get' ? getOne : putOne;
  const before = await readCounters(env.endpoint, PROTOCOL_OP[op]);
  env.rss.startWindow();
  const cpuMeter = new CpuMeter(env.procs);
  const started = performance.now();
  const run = await runPool(spec.count, spec.concurrency, (i) => one(env.s3, bucket, spec.size, i)).catch((e: unknown) => {
    // The peaks say whether memory had to do with it (a crashed gateway's
    // last samples are kept).
    throw new PhaseError(op, spec, env.rss.endWindow(), performance.now() - started, e);
  });
  const cpu = cpuMeter.stop();
  const peaks = env.rss.endWindow();
  const protocol = counterDelta(before, await readCounters(env.endpoint, PROTOCOL_OP[op]));
  return { op, ...spec, run, protocol, peaks, cpu };
}

async function putOne(s3: S3Client, bucket: string, size: number, i: number): Promise<number> {
  // A Buffer body is made before the clock starts; a stream is made as it is sent.
  const body = size <= BUFFER_MAX ? objectBody(size, i) : objectStream(size, i);
  const started = performance.now();
  await withDeadline(size, keyOf(i), (abortSignal) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(i), Body: body, ContentLength: size }), { abortSignal }));
  return performance.now() - started;
}

async function getOne(s3: S3Client, bucket: string, size: number, i: number): Promise<number> {
  const started = performance.now();
  await withDeadline(size, keyOf(i), async (abortSignal) => {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(i) }), { abortSignal });
    const check = new ContentCheck(size, i);
    for await (const chunk of got.Body as Readable) check.update(chunk as Buffer);
    check.end();
  });
  return performance.now() - started;
}
