// What S3 handlers receive and return. A handler gets the gateway-wide
// S3Context and one S3Request, and returns an S3Response; only http.ts
// touches the socket (STYLE.md §11: per-request context, no module state).

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Logger } from '@powerstore/shared/log.js';
import type { BucketRegistry } from '../buckets.js';
import type { ObjectStore } from '../objects.js';
import type { MultipartStore } from '../multipart/multipart-store.js';
import type { CredentialStore } from './auth/credentials.js';
import type { Endpoint } from './endpoints.js';
import type { KeyScope } from './access/key-scope.js';

export interface S3Config {
  readonly region: string;
  /** Base domain for virtual-hosted style requests, if any. */
  readonly domain?: string;
  /** Largest single PUT body (S3: 5 GiB). */
  readonly maxObjectBytes: number;
  /** Time allowed for a PostObject form's fields, read before it is authenticated (limits.ts); absent: none. */
  readonly postFormMs?: number;
}

export interface Principal {
  readonly accessKey: string;
  /** The authenticated user; '' for an anonymous request (no credentials at all). */
  readonly user: string;
  /** What the request's key is limited to (key-scope.ts), as it was when the request was authenticated; absent: no limit. */
  readonly scope?: KeyScope;
}

export interface S3Context {
  readonly config: S3Config;
  readonly objects: ObjectStore;
  readonly multipart: MultipartStore;
  readonly buckets: BucketRegistry;
  readonly log: Logger;
  /** Who may sign requests (also what PostObject checks a form's policy signature against). */
  readonly creds: CredentialStore;
  /** Clock in epoch ms (tests pin it). */
  readonly now: () => number;
}

export interface S3Request<E extends Endpoint = Endpoint> {
  readonly id: string;
  readonly endpoint: E;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw request, for handlers that stream a body (through the body layer). */
  readonly raw: IncomingMessage;
  readonly principal: Principal;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** Builds the verified body stream for this request (the one body layer). */
  readonly body: () => RequestBody;
}

export interface BodyResult {
  readonly size: number;
  readonly md5Hex: string;
  /** Verified checksums the client sent, by algorithm (crc32, crc32c, crc64nvme, sha1, sha256): base64. */
  readonly checksums: Readonly<Record<string, string>>;
}

export interface RequestBody {
  /** Decoded, verified bytes; throws (S3Error) from its last step if any check fails. */
  readonly stream: AsyncIterable<Buffer>;
  /** Valid once `stream` has ended without error. */
  result(): BodyResult;
  /** The payload's size as the request declared it (Content-Length, or aws-chunked's decoded length), if it did: a hint for buffers, never trusted. */
  readonly declaredSize?: number;
}

export interface S3Response {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number>>;
  readonly body?: string | Buffer | AsyncIterable<Buffer>;
}

export function header(req: S3Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function xmlResponse(body: string, status = 200, headers: Record<string, string | number> = {}): S3Response {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body };
}
