// Protocol and storage errors (STYLE.md §4, first layer). They are typed
// here, in shared/, and mapped to S3 error codes in exactly one place at the
// gateway's HTTP edge (gateway/src/s3/error-map.ts).

export class QuorumError extends Error {
  override readonly name = 'QuorumError';
  constructor(
    readonly round: string,
    readonly got: number,
    readonly need: number,
    readonly causes: readonly string[] = [],
  ) {
    super(`${round}: ${got} of ${need} required answers${causes.length ? ` (${causes.slice(0, 4).join('; ')})` : ''}`);
  }
}

/** A read could not rebuild the chosen value: too few fragments verified. */
export class RestoreError extends Error {
  override readonly name = 'RestoreError';
}

/** A node refused a request (HTTP 4xx from the node): never evidence by itself. */
export class NodeRefusedError extends Error {
  override readonly name = 'NodeRefusedError';
  constructor(readonly node: number, readonly status: number, readonly code: string, readonly detail = '') {
    super(`node ${node} refused: ${status} ${code}${detail ? ` (${detail.slice(0, 200)})` : ''}`);
  }
}

/** A bad configuration file, flag or environment variable: one line for the user. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The operation met a timestamp or candidate of a key epoch above every
 * epoch this gateway holds (DESIGN §3 "Key epochs", protocol review finding
 * 1), or t+1 nodes hold such an epoch and this is a write. The gateway
 * cannot judge it, so it fails closed: no value, no write ordered below it,
 * no evidence. Mapped to 503 SlowDown; the gateway fetches the key ring.
 */
export class UnknownEpochError extends Error {
  override readonly name = 'UnknownEpochError';
  constructor(readonly epoch: number, readonly what: string) {
    super(`${what}: key epoch ${epoch} is newer than this gateway's key ring`);
  }
}
