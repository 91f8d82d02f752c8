// Versioning is never enabled on a bucket here (GetBucketVersioning answers
// an empty configuration), so every object has exactly one version, "null".

import { S3Error } from '../errors.js';

/** Refuses a versionId other than "null" (no such version can exist): NoSuchVersion, as S3. */
export function requireNullVersion(versionId: string | undefined, key: string): void {
  if (versionId === undefined || versionId === 'null') return;
  throw new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
}
