// x-amz-content-sha256 → how the body must be verified (wire-formats.md §4).

import { S3Error } from '../errors.js';
import type { ChunkSigning, PayloadMode } from './types.js';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';

/**
 * Interprets a payload token. `signing` is the SigV4 material chunk signatures
 * chain from; without it (SigV2) a signed-streaming token cannot be verified
 * and is refused. Call only after the request signature verified: the token
 * is then authentic (for header SigV4 it is the canonical request's last line).
 */
export function payloadMode(token: string, signing: ChunkSigning | undefined): PayloadMode {
  if (/^[0-9a-fA-F]{64}$/.test(token)) return { kind: 'sha256', hex: token.toLowerCase() };
  switch (token) {
    case UNSIGNED_PAYLOAD:
      return { kind: 'unsigned' };
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'streaming-unsigned-trailer' };
    case STREAMING_SIGNED:
    case STREAMING_SIGNED_TRAILER:
      if (!signing) throw new S3Error('InvalidRequest', `${token} requires AWS Signature Version 4.`);
      return { kind: 'streaming-signed', trailer: token === STREAMING_SIGNED_TRAILER, ...signing };
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD':
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER':
      throw new S3Error('NotImplemented', 'AWS Signature Version 4A (ECDSA) is not supported.');
    default:
      throw new S3Error(
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
        { ArgumentName: 'x-amz-content-sha256', ArgumentValue: token.slice(0, 128) },
      );
  }
}
