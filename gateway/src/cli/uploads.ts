// `powerstore uploads list|abort`: incomplete multipart uploads, which S3
// keeps until someone aborts them (operations review §3: with no lifecycle
// rules an interrupted upload's parts stay forever). `list` shows every open
// upload with its age; `abort --older-than D` aborts those begun more than D
// ago (their parts' data then leaves the nodes), as a lifecycle rule's
// AbortIncompleteMultipartUpload would. Works from a gateway config file,
// talking to the nodes directly: no gateway need run.

import { ConfigError } from '@powerstore/shared/errors.js';
import type { Logger } from '@powerstore/shared/log.js';
import { BucketRegistry, type BucketRecord } from '../buckets.js';
import type { GatewayConfig } from '../config.js';
import { MultipartStore } from '../multipart/multipart-store.js';
import { decodeMeta, type UploadInfo } from '../object-meta.js';
import { cliContext } from './cli-context.js';

export interface OpenUpload extends UploadInfo {
  readonly bucket: string;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "12h", "7d" in milliseconds; a ConfigError names the flag otherwise. */
export function parseDuration(v: string, flag: string): number {
  const m = /^(\d+)([smhd])$/.exec(v);
  if (!m) throw new ConfigError(`${flag} must be a number and a unit (s, m, h or d), like 7d or 12h; got "${v}"`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

async function openUploads(uploads: MultipartStore, b: BucketRecord, signal: AbortSignal): Promise<OpenUpload[]> {
  const out: OpenUpload[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await uploads.uploads(b.ns, '', after, false, 1000, signal);
    for (const e of page.entries) {
      const m = decodeMeta(e.meta);
      if (!m.deleteMarker && m.upload) out.push({ bucket: b.name, ...m.upload });
    }
    if (!page.truncated || page.lastKey === null) return out;
    after = page.lastKey;
  }
}

export interface UploadsOptions {
  readonly cfg: GatewayConfig;
  readonly action: 'list' | 'abort';
  /** Only buckets of this name (default: every bucket). */
  readonly bucket?: string;
  /** Only uploads begun more than this many ms ago (required for abort). */
  readonly olderThanMs?: number;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly log: Logger;
  readonly out: (text: string) => void;
  readonly now?: () => number;
}

/** Lists or aborts; returns the exit code (1 when some abort failed). */
export async function runUploads(o: UploadsOptions): Promise<0 | 1> {
  if (o.action === 'abort' && o.olderThanMs === undefined) {
    throw new ConfigError('uploads abort needs --older-than D (e.g. 7d): it aborts only uploads begun longer ago than that');
  }
  const now = (o.now ?? Date.now)();
  const { ctx, close } = cliContext(o.cfg, o.log);
  const signal = new AbortController().signal;
  try {
    const buckets = (await new BucketRegistry(ctx).list(signal)).filter((b) => o.bucket === undefined || b.name === o.bucket);
    if (o.bucket !== undefined && buckets.length === 0) throw new ConfigError(`no bucket named "${o.bucket}"`);
    const store = new MultipartStore(ctx);
    const found: OpenUpload[] = [];
    for (const b of buckets) found.push(...await openUploads(store, b, signal));
    const chosen = found.filter((u) => o.olderThanMs === undefined || now - u.initiated > o.olderThanMs);
    if (o.action === 'list' || o.dryRun) {
      if (o.json) o.out(`${JSON.stringify(chosen.map((u) => ({ bucket: u.bucket, key: u.key, uploadId: u.uploadId, initiated: new Date(u.initiated).toISOString(), owner: u.owner })), null, 2)}\n`);
      else o.out(table(chosen, now) + (o.action === 'abort' ? `dry run: ${chosen.length} upload${chosen.length === 1 ? '' : 's'} would be aborted\n` : ''));
      return 0;
    }
    let failed = 0;
    const byName = new Map(buckets.map((b) => [b.name, b]));
    for (const u of chosen) {
      try {
        await store.abort(byName.get(u.bucket)!.ns, u.key, u.uploadId, signal);
        o.out(`aborted ${u.bucket}/${u.key} ${u.uploadId} (begun ${age(now - u.initiated)} ago)\n`);
      } catch (e) {
        failed++;
        o.out(`FAILED ${u.bucket}/${u.key} ${u.uploadId}: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
    o.out(`${chosen.length - failed} of ${chosen.length} uploads aborted${failed ? `; ${failed} failed (run again to finish them)` : ''}\n`);
    return failed ? 1 : 0;
  } finally {
    await close();
  }
}

function table(us: readonly OpenUpload[], now: number): string {
  if (us.length === 0) return 'no incomplete multipart uploads\n';
  const rows = [['BUCKET', 'KEY', 'UPLOAD ID', 'INITIATED', 'AGE', 'OWNER'],
    ...us.map((u) => [u.bucket, u.key, u.uploadId, new Date(u.initiated).toISOString(), age(now - u.initiated), u.owner])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
