// Test support: the 49 real client requests of /work/shared/clients/fixtures
// (copied beside this file as requests.jsonl), signed with AWS's public
// documentation example key and dated 2026-11-25 ~19:11 UTC.

import { existsSync, readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StaticCredentialStore } from '../credentials.js';
import type { AuthContext, AuthRequest } from '../types.js';

export interface Fixture {
  readonly id: string;
  readonly method: string;
  readonly target: string;
  /** Header pairs in wire order, names as sent. */
  readonly headerPairs: readonly [string, string][];
  readonly bodyLength: number;
  /** The full body (aws-chunked framing kept, HTTP chunked coding removed), when ≤ 16 KiB. */
  readonly body: Buffer | undefined;
  readonly verified: {
    readonly authScheme: string;
    readonly signatureValid?: boolean;
    readonly awsChunked?: { chunks: number; decodedLength: number; chunkSignaturesValid: boolean | null; trailers: string[] };
    readonly checksums?: Record<string, string>;
  };
}

export const FIXTURE_ACCESS_KEY = 'AKIDEXAMPLE';
export const FIXTURE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
export const FIXTURE_REGION = 'us-east-1';
/** Within 15 minutes of every fixture's X-Amz-Date and before every presigned URL expires. */
export const FIXTURE_NOW = Date.UTC(2026, 10, 25, 19, 11, 30);

export const fixtureCreds = new StaticCredentialStore([{ accessKey: FIXTURE_ACCESS_KEY, secretKey: FIXTURE_SECRET, user: 'fixture-user' }]);

function fixtureFile(): string {
  // Compiled tests run from dist/…; the data file stays in the source tree.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'gateway/src/s3/auth/testing/requests.jsonl');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('requests.jsonl not found above ' + fileURLToPath(import.meta.url));
  }
}

interface RawFixture {
  id: string;
  method: string;
  target: string;
  headers: [string, string][];
  bodyLength: number;
  bodyBase64: string | null;
  verifiedByCaptureServer: Fixture['verified'];
}

export function loadFixtures(): Fixture[] {
  return readFileSync(fixtureFile(), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const r = JSON.parse(l) as RawFixture;
      return {
        id: r.id,
        method: r.method,
        target: r.target,
        headerPairs: r.headers,
        bodyLength: r.bodyLength,
        body: r.bodyBase64 === null ? undefined : Buffer.from(r.bodyBase64, 'base64'),
        verified: r.verifiedByCaptureServer,
      };
    });
}

/** Header pairs → what Node's `req.headers` holds: lower-case names, repeats joined with ", ". */
export function nodeHeaders(pairs: readonly (readonly [string, string])[]): IncomingHttpHeaders {
  const h: Record<string, string> = {};
  for (const [n, v] of pairs) {
    const k = n.toLowerCase();
    h[k] = h[k] === undefined ? v : `${h[k]}, ${v}`;
  }
  return h;
}

/** A minimal path-style router: first segment = bucket, the rest (decoded) = key. */
export function pathStyleRoute(target: string): { bucket?: string; key?: string } {
  const path = target.split('?')[0] ?? '/';
  const m = /^\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (!m || m[1] === undefined) return {};
  const bucket = decodeURIComponent(m[1]);
  const key = m[2] === undefined || m[2] === '' ? undefined : decodeURIComponent(m[2]);
  return key === undefined ? { bucket } : { bucket, key };
}

export function fixtureRequest(f: Fixture, overrides: { target?: string; headers?: IncomingHttpHeaders } = {}): AuthRequest {
  return { method: f.method, rawUrl: overrides.target ?? f.target, headers: overrides.headers ?? nodeHeaders(f.headerPairs) };
}

export function fixtureContext(target: string, now = FIXTURE_NOW): AuthContext {
  return { creds: fixtureCreds, region: FIXTURE_REGION, now: () => now, ...pathStyleRoute(target) };
}
