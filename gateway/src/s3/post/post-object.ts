// PostObject: browser uploads with an HTML form and a signed policy
// (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html,
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html).
//
// `POST /<bucket>` (or `POST /` on the bucket's virtual host) with a
// multipart/form-data body. In order: the fields before the `file` part are
// read (post-form.ts), `${filename}` is expanded, the form is authenticated
// from its own fields (post-auth.ts: http.ts does no header auth for this
// operation), the policy is enforced (post-policy.ts), the bucket must
// exist, then the file streams straight into ObjectStore.put through
// post-upload.ts, which ends the stream only once the size range, the rest
// of the form, Content-MD5 and any checksum passed: nothing is visible
// otherwise.
//
// Form fields stored as metadata: Content-Type (else the file part's own
// type, else binary/octet-stream), Content-Encoding, Content-Disposition,
// Content-Language, Cache-Control, Expires, x-amz-meta-*, and the tags of a
// tagging field (a Tagging document, checked as PutObjectTagging's body:
// tags.ts). Other fields the policy allows (acl, x-amz-storage-class,
// x-amz-server-side-encryption, ...) are accepted and ignored, as PutObject ignores those
// headers here. DEVIATION: AWS documents only the Content-Type field (an
// upload without it gets binary/octet-stream there); like MinIO, this
// gateway falls back to the file part's own type (what browsers send),
// except text/plain, which busboy also reports for an untyped part
// (post-form.ts).

import { ownedBy, stillCurrent } from '../bucket.js';
import { header, type S3Context, type S3Request, type S3Response } from '../context.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { mustNotOverwrite, scopeAllows } from '../access/key-scope.js';
import { requireWriteConditions } from '../objects/write-conditions.js';
import { checksumHeaders, storedHeaders } from '../objects/object-headers.js';
import { parseTaggingXml } from '../tagging/tags.js';
import { authenticatePost } from './post-auth.js';
import { type FormFields, expandFilename, fieldValue, servableMetadata } from './post-fields.js';
import { FORM_LIMITS, isMultipartForm, readPostForm } from './post-form.js';
import { missingField } from './post-errors.js';
import { checkPolicy, decodePolicy } from './post-policy.js';
import { uploadBody, uploadRules } from './post-upload.js';
import { MAX_KEY_BYTES } from '../router.js';
import { xmlDoc } from '../xml.js';

/** Form fields PutObject would take as headers and store. */
const STORED_FIELDS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires'];

/** What to answer on success (AWS: success_action_redirect, else success_action_status). */
export type SuccessAction = { readonly redirect: URL } | { readonly status: 200 | 201 | 204 };

/**
 * AWS: a success_action_redirect (or the older `redirect`) that S3 "cannot
 * interpret" is ignored; so is any status but 200, 201 and 204 (→ 204).
 * Only absolute http(s) URLs are taken as redirects.
 */
export function successAction(fields: FormFields): SuccessAction {
  const target = fieldValue(fields, 'success_action_redirect') ?? fieldValue(fields, 'redirect');
  if (target) {
    try {
      const url = new URL(target);
      if (url.protocol === 'http:' || url.protocol === 'https:') return { redirect: url };
    } catch {
      // not a URL: ignored
    }
  }
  const s = fieldValue(fields, 'success_action_status');
  return { status: s === '200' ? 200 : s === '201' ? 201 : 204 };
}

/** The object's URL as the PostResponse Location gives it: the key fully %-encoded (also `/`, as AWS does). */
export function objectUrl(base: { tls: boolean; host: string; virtualHost: boolean }, bucket: string, key: string): string {
  const path = base.virtualHost ? `/${encodeURIComponent(key)}` : `/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`;
  return `${base.tls ? 'https' : 'http'}://${base.host}${path}`;
}

/** The success answer: 303 to the redirect with bucket, key and etag appended; 200/204 empty; 201 a PostResponse. */
export function successResponse(action: SuccessAction, o: { bucket: string; key: string; etag: string; location: string; headers?: Record<string, string> }): S3Response {
  const etag = `"${o.etag}"`;
  const headers: Record<string, string> = { ...o.headers, etag, location: o.location };
  if ('redirect' in action) {
    const url = new URL(action.redirect);
    url.searchParams.append('bucket', o.bucket);
    url.searchParams.append('key', o.key);
    url.searchParams.append('etag', etag);
    return { status: 303, headers: { ...headers, location: url.toString() } };
  }
  if (action.status !== 201) return { status: action.status, headers };
  const xml = xmlDoc('PostResponse', [['Location', o.location], ['Bucket', o.bucket], ['Key', o.key], ['ETag', etag]], null);
  return { status: 201, headers: { ...headers, 'content-type': 'application/xml' }, body: xml };
}

function objectKey(fields: FormFields): string {
  const key = fieldValue(fields, 'key');
  if (key === undefined || key === '') throw missingField('key');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
  return key;
}

/** The stored-metadata fields as the header names storedHeaders() reads. */
function metadataHeaders(fields: FormFields, fileType: string | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [name, f] of fields) if (STORED_FIELDS.includes(name) || name.startsWith('x-amz-meta-')) h[name] = f.value;
  if (h['content-type'] === undefined && fileType !== undefined) h['content-type'] = fileType;
  return h;
}

function isVirtualHost(host: string, bucket: string, domain: string | undefined): boolean {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return domain !== undefined && name === `${bucket}.${domain.toLowerCase()}`;
}

export async function postObject(s3: S3Context, r: S3Request<Endpoint>): Promise<S3Response> {
  const e = r.endpoint;
  if (e.op !== 'PostObject') throw new S3Error('InternalError');
  const bucket = e.bucket;
  if (!isMultipartForm(header(r, 'content-type'))) {
    throw new S3Error('PreconditionFailed', undefined, { Condition: 'Bucket POST must be of the enclosure-type multipart/form-data' });
  }
  // The form is anonymous until its fields are read: they get a deadline (limits.ts).
  const limits = s3.config.postFormMs !== undefined ? { ...FORM_LIMITS, headMs: s3.config.postFormMs } : FORM_LIMITS;
  const form = readPostForm(r.headers, r.body().stream, limits);
  try {
    const { fields: sent, file } = await form.head();
    const fields = expandFilename(sent, file.filename);
    const key = objectKey(fields);
    const auth = authenticatePost(sent, { creds: s3.creds, region: s3.config.region });
    // The form's key may be limited (key-scope.ts): its bucket list and access, and append-only's no-overwrite below.
    if (!scopeAllows(auth.credential, e)) throw new S3Error('AccessDenied', 'This access key may not do this.');
    const conditions = mustNotOverwrite(auth.credential) ? { ifNoneMatch: false, noOverwrite: true } : null;
    const range = checkPolicy(decodePolicy(auth.policy), { fields, bucket, now: s3.now() });
    const tagging = fieldValue(fields, 'tagging');
    const tags = tagging === undefined ? [] : parseTaggingXml(tagging);
    const stored = { ...storedHeaders(servableMetadata(metadataHeaders(fields, file.contentType))), ...(tags.length ? { tags } : {}) };
    const rules = uploadRules(fields, range, s3.config.maxObjectBytes);
    const action = successAction(fields);
    const rec = ownedBy(await s3.buckets.get(bucket, r.signal), bucket, auth.credential.user);
    const body = uploadBody(file.stream, rules, () => form.end());
    const { meta } = await s3.objects.put(rec.ns, key, body.stream, async (size, blockSize) => {
      const b = body.result();
      // Once the body is in, just before the write's rounds (as put.ts).
      await requireWriteConditions(s3, conditions, rec.ns, key, r.signal);
      return {
        v: 1, size, blockSize, lastModified: s3.now(), etag: b.md5Hex, ...stored,
        ...(Object.keys(b.checksums).length ? { checksums: b.checksums } : {}),
      };
    }, r.signal);
    await stillCurrent(s3, rec, r.signal);
    const host = header(r, 'host') ?? 'localhost';
    const tls = (r.raw.socket as { encrypted?: boolean } | null | undefined)?.encrypted === true;
    const location = objectUrl({ tls, host, virtualHost: isVirtualHost(host, bucket, s3.config.domain) }, bucket, key);
    return successResponse(action, { bucket, key, etag: meta.etag ?? '', location, headers: checksumHeaders(meta) });
  } catch (err) {
    await form.abandon();
    throw err;
  }
}
