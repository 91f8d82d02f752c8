// The second error layer (STYLE.md §4): protocol and storage errors from
// shared/ mapped to S3 errors, exhaustively, in one function. Anything
// unmapped is InternalError and never leaks its message.

import { ConfigError, NodeRefusedError, QuorumError, RestoreError, UnknownEpochError } from '@powerstore/shared/errors.js';
import { MetaError } from '../object-meta.js';
import { S3Error } from './errors.js';

export function toS3Error(err: unknown): S3Error {
  if (err instanceof S3Error) return err;
  if (err instanceof QuorumError) return new S3Error('ServiceUnavailable', 'Too few storage nodes answered; please retry.');
  if (err instanceof RestoreError) return new S3Error('ServiceUnavailable', 'Too few verified fragments could be read; please retry.');
  // This gateway lacks a key epoch the cluster uses (review finding 1): it fails closed until it has it.
  if (err instanceof UnknownEpochError) return new S3Error('SlowDown', 'This gateway does not hold the newest key epoch yet; please retry.');
  if (err instanceof NodeRefusedError) return new S3Error('ServiceUnavailable', 'A storage node refused the request; please retry.');
  if (err instanceof MetaError || err instanceof ConfigError) return new S3Error('InternalError');
  return new S3Error('InternalError');
}

/** Whether the error is the gateway's fault (logged at error level) rather than the client's. */
export function isServerFault(e: S3Error): boolean {
  return e.status >= 500;
}
