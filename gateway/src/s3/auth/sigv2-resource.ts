// SigV2 CanonicalizedResource (wire-formats.md §3): `/<bucket>/<key>` as the
// client encoded it, also in virtual-host style, plus the sub-resources.
// AWS reference: https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html

import { decodeComponent, rawParams } from './request-parts.js';

/**
 * Query parameters that are part of the resource: botocore's HmacV1Auth list
 * plus `delete` and `cors` (s3cmd), i.e. everything a V2-signing client signs.
 */
const SUB_RESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'cors', 'defaultObjectAcl', 'delete', 'inventory', 'lifecycle', 'location',
  'logging', 'metrics', 'notification', 'object-lock', 'partNumber', 'policy', 'replication', 'requestPayment',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires', 'restore', 'select', 'select-type', 'storageClass', 'tagging',
  'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
]);

/**
 * The path part of the resource. Path-style requests already carry
 * `/<bucket>/<key>` in their raw path and it is used as sent (that is what
 * clients sign). Virtual-host requests carry `/<key>`: the bucket is
 * prefixed. Which one applies is decided by comparing the decoded path with
 * the router's bucket and key, so the choice cannot be steered by the client
 * (a mismatch only makes the signature fail).
 */
export function resourcePath(rawPath: string, bucket: string | undefined, key: string | undefined): string {
  if (bucket === undefined) return rawPath;
  const decoded = decodeComponent(rawPath) ?? rawPath;
  const pathStyle = key === undefined
    ? decoded === `/${bucket}` || decoded === `/${bucket}/`
    : decoded === `/${bucket}/${key}`;
  return pathStyle ? rawPath : `/${bucket}${rawPath}`;
}

/** `?a&b=v...`: the sub-resources present, values decoded, sorted by name then value; `name=` kept when sent so. */
export function subResources(rawQuery: string): string {
  const picked: [string, string][] = [];
  for (const p of rawParams(rawQuery)) {
    if (!SUB_RESOURCES.has(p.name)) continue;
    picked.push([p.name, p.hasEquals ? `${p.name}=${decodeComponent(p.value) ?? p.value}` : p.name]);
  }
  picked.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return picked.length ? `?${picked.map((p) => p[1]).join('&')}` : '';
}
