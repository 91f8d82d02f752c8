// What one client may hold of the gateway (security review F3, F5): how long
// a request head and body may sit idle, how slowly a body may arrive, how
// many connections one address and all addresses may keep open, how many
// uploads one user may have in flight, how long the unauthenticated head of
// a PostObject form may take, and how many connections per node upload
// streams may take (the node RPCs keep their own). Defaults suit a gateway
// facing the internet; tests set small values in the config's "limits".

import { ConfigError } from '@powerstore/shared/errors.js';

export interface GatewayLimits {
  /** A request body that sends no byte for this long is answered 400 RequestTimeout (S3: about 20 s). */
  readonly bodyIdleMs: number;
  /** Average body rate required once bodyRateGraceMs of waiting for the client have passed; 0: none. */
  readonly bodyMinBytesPerS: number;
  readonly bodyRateGraceMs: number;
  /** The request line and headers must be in within this long (also bounds a silent new connection). */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections in total; more are closed at once. */
  readonly maxConnections: number;
  /** Open connections from one remote address; 0: no per-address cap (e.g. behind a reverse proxy). */
  readonly maxConnectionsPerAddress: number;
  /** Request bodies one user (access key) may stream at once; more → 503 SlowDown. */
  readonly maxUploadsPerUser: number;
  /** The anonymous part of a PostObject (the form fields before the file) must arrive within this long. */
  readonly postFormMs: number;
  /** Connections per node for upload streams, apart from the node RPC pool. */
  readonly nodeStreamConnections: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  bodyIdleMs: 20_000,
  bodyMinBytesPerS: 1024,
  bodyRateGraceMs: 30_000,
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 8192,
  maxConnectionsPerAddress: 1024,
  maxUploadsPerUser: 64,
  postFormMs: 10_000,
  nodeStreamConnections: 512,
};

/** Largest value accepted for any limit: a day in ms, or a million connections. */
const MAX_LIMIT = 86_400_000;

/** Which limits may be 0 (off). */
const ZERO_MEANS_OFF: ReadonlySet<keyof GatewayLimits> = new Set(['bodyMinBytesPerS', 'maxConnectionsPerAddress']);

/** The config file's "limits" object over the defaults; every value an integer in range. */
export function parseLimits(raw: unknown, where: string): GatewayLimits {
  if (raw === undefined) return DEFAULT_LIMITS;
  const bad = (what: string): never => {
    throw new ConfigError(`gateway config ${where}: limits: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('must be an object');
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(raw)) {
    if (!(name in DEFAULT_LIMITS)) bad(`unknown limit "${name}" (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    const min = ZERO_MEANS_OFF.has(name as keyof GatewayLimits) ? 0 : 1;
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > MAX_LIMIT) bad(`${name} must be an integer from ${min} to ${MAX_LIMIT}`);
    out[name] = value as number;
  }
  return out as unknown as GatewayLimits;
}
