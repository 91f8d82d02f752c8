// The contract between authentication and the rest of the gateway.

import type { IncomingHttpHeaders } from 'node:http';
import type { CredentialStore } from './credentials.js';
import type { KeyScope } from '../access/key-scope.js';

/** What authenticate() needs from the HTTP request: the request line and headers, never the body. */
export interface AuthRequest {
  /** Upper-case, as on the request line. */
  readonly method: string;
  /** The request target exactly as received (`req.url`): raw path and raw query, still percent-encoded. */
  readonly rawUrl: string;
  /** Lower-case names, as Node delivers them (`req.headers`, or `req.headersDistinct`). */
  readonly headers: IncomingHttpHeaders;
}

export interface AuthContext {
  readonly creds: CredentialStore;
  /** The one region this endpoint serves; a SigV4 credential scope naming another region is rejected. */
  readonly region: string;
  /** Clock in epoch ms (injectable so tests can pin it). */
  readonly now: () => number;
  /**
   * The bucket and (decoded) key the router found, path-style or virtual-host.
   * Only SigV2 needs them: its CanonicalizedResource is `/<bucket>/<key>` even
   * when the bucket came from the Host header.
   */
  readonly bucket?: string;
  readonly key?: string;
}

/** 'anonymous': no credentials at all (anonymousAuth); the user is then ''. */
export type AuthScheme = 'v4-header' | 'v4-query' | 'v2-header' | 'v2-query' | 'anonymous';

/** The SigV4 material aws-chunked chunk and trailer signatures chain from. Do not log: signingKey is secret. */
export interface ChunkSigning {
  /** The request signature (Authorization header or X-Amz-Signature): the first "previous signature". */
  readonly seedSignature: string;
  readonly signingKey: Buffer;
  /** `<yyyymmdd>/<region>/s3/aws4_request` */
  readonly scope: string;
  /** The request's `20261125T191100Z` timestamp. */
  readonly amzDate: string;
}

/**
 * How the body must be verified, decided from x-amz-content-sha256 (never
 * from Content-Encoding: minio-go sends signed aws-chunked without it).
 */
export type PayloadMode =
  /** Plain body whose SHA-256 must equal `hex` (lower case). */
  | { readonly kind: 'sha256'; readonly hex: string }
  /** Plain body, not covered by the signature (UNSIGNED-PAYLOAD, SigV2, presigned). */
  | { readonly kind: 'unsigned' }
  /** aws-chunked with chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]). */
  | ({ readonly kind: 'streaming-signed'; readonly trailer: boolean } & ChunkSigning)
  /** aws-chunked without chunk signatures, with a trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER). */
  | { readonly kind: 'streaming-unsigned-trailer' };

export interface AuthResult {
  readonly accessKey: string;
  readonly user: string;
  /** What the key is limited to (key-scope.ts), from its credential; absent: no limit. */
  readonly scope?: KeyScope;
  readonly scheme: AuthScheme;
  readonly payload: PayloadMode;
}
