// Authentication of a PostObject form: the credentials and the signature of
// the policy are form fields, not headers (http.ts leaves PostObject to its
// handler). Pure: fields in, credential and policy text out, S3Error otherwise.
//   V2: AWSAccessKeyId, policy, signature = base64 HMAC-SHA1(secret, policy as sent)
//       https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html
//   V4: x-amz-algorithm=AWS4-HMAC-SHA256, x-amz-credential=<AK>/<yyyymmdd>/<region>/s3/aws4_request,
//       x-amz-date, policy, x-amz-signature = hex HMAC-SHA256(signing key, policy as sent)
//       https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
// The policy itself (expiration, conditions) is post-policy.ts's job; the
// form's time is bounded by the policy's expiration, not by a clock skew.

import { parseAmzDate } from '../auth/amz-date.js';
import type { Credential, CredentialStore } from '../auth/credentials.js';
import { hmacSha1Base64, hmacSha256, sameSignature, sigV4SigningKey } from '../auth/crypto.js';
import { S3Error } from '../errors.js';
import { type FormFields, fieldValue } from './post-fields.js';
import { missingField } from './post-errors.js';

export interface PostAuthContext {
  readonly creds: CredentialStore;
  /** The one region this endpoint serves. */
  readonly region: string;
}

export interface PostAuthResult {
  readonly credential: Credential;
  readonly scheme: 'v2' | 'v4';
  /** The policy field exactly as sent (base64): what the signature covers. */
  readonly policy: string;
}

const V4_ALGORITHM = 'AWS4-HMAC-SHA256';
const V4_MARKERS = ['x-amz-algorithm', 'x-amz-credential', 'x-amz-signature'];
const V2_MARKERS = ['awsaccesskeyid', 'signature'];

function required(fields: FormFields, lowerName: string, spelled: string): string {
  const v = fieldValue(fields, lowerName);
  if (v === undefined || v === '') throw missingField(spelled);
  return v;
}

function badArgument(name: string, value: string, message: string): S3Error {
  return new S3Error('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value.slice(0, 128) });
}

function lookup(ctx: PostAuthContext, accessKey: string): Credential {
  const c = ctx.creds.lookup(accessKey);
  if (!c) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKey });
  return c;
}

function mismatch(accessKey: string, policy: string, provided: string): S3Error {
  return new S3Error('SignatureDoesNotMatch', undefined, {
    AWSAccessKeyId: accessKey,
    StringToSign: policy,
    SignatureProvided: provided.slice(0, 128),
  });
}

function verifyV2(fields: FormFields, ctx: PostAuthContext, policy: string): PostAuthResult {
  const accessKey = required(fields, 'awsaccesskeyid', 'AWSAccessKeyId');
  const signature = required(fields, 'signature', 'signature');
  const credential = lookup(ctx, accessKey);
  if (!sameSignature(hmacSha1Base64(credential.secretKey, policy), signature)) throw mismatch(accessKey, policy, signature);
  return { credential, scheme: 'v2', policy };
}

/**
 * Checks, in order: algorithm, credential shape, x-amz-date and its day
 * against the credential's, region, service and terminator, access key,
 * signature. DEVIATION (unverified against AWS): a malformed credential,
 * date or scope is InvalidArgument naming the field; AWS's exact code for
 * these in a form is not documented.
 */
function verifyV4(fields: FormFields, ctx: PostAuthContext, policy: string): PostAuthResult {
  const algorithm = required(fields, 'x-amz-algorithm', 'x-amz-algorithm');
  const credentialField = required(fields, 'x-amz-credential', 'x-amz-credential');
  const date = required(fields, 'x-amz-date', 'x-amz-date');
  const signature = required(fields, 'x-amz-signature', 'x-amz-signature');
  if (algorithm !== V4_ALGORITHM) {
    throw badArgument('x-amz-algorithm', algorithm, `Unsupported algorithm "${algorithm.slice(0, 64)}"; only ${V4_ALGORITHM} is.`);
  }
  const parts = credentialField.split('/');
  const [accessKey = '', credDate = '', region = '', service = '', terminator = ''] = parts;
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw badArgument('x-amz-credential', credentialField, 'The credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  if (parseAmzDate(date) === undefined) throw badArgument('x-amz-date', date, 'x-amz-date must be in the form YYYYMMDDTHHMMSSZ.');
  // AWS: "The date must be same that you used in creating the signing key."
  if (date.slice(0, 8) !== credDate) {
    throw badArgument('x-amz-credential', credentialField, `Invalid credential date "${credDate}". This date is not the same as x-amz-date: "${date.slice(0, 8)}".`);
  }
  if (region !== ctx.region) throw badArgument('x-amz-credential', credentialField, `The region '${region}' is wrong; expecting '${ctx.region}'.`);
  if (service !== 's3') throw badArgument('x-amz-credential', credentialField, `Incorrect service "${service}". This endpoint belongs to "s3".`);
  if (terminator !== 'aws4_request') throw badArgument('x-amz-credential', credentialField, `Incorrect terminal "${terminator}". This endpoint uses "aws4_request".`);
  const credential = lookup(ctx, accessKey);
  const expected = hmacSha256(sigV4SigningKey(credential.secretKey, credDate, region, service), policy).toString('hex');
  if (!sameSignature(expected, signature)) throw mismatch(accessKey, policy, signature);
  return { credential, scheme: 'v4', policy };
}

/**
 * Authenticates a form from its fields before the file.
 *  - No `policy`: an anonymous upload (AWS: "Requests without a security
 *    policy are considered anonymous and will succeed only on publicly
 *    writable buckets"). This gateway has no publicly writable buckets:
 *    AccessDenied.
 *  - Signature V4 when any of x-amz-algorithm, x-amz-credential,
 *    x-amz-signature is present, else V2. A field a scheme needs that is
 *    missing or empty → InvalidArgument "Bucket POST must contain a field
 *    named '...'". Both schemes' fields at once → InvalidArgument.
 *  - Unknown access key → InvalidAccessKeyId; wrong signature → SignatureDoesNotMatch.
 */
export function authenticatePost(fields: FormFields, ctx: PostAuthContext): PostAuthResult {
  const policy = fieldValue(fields, 'policy');
  if (policy === undefined || policy === '') throw new S3Error('AccessDenied');
  const v4 = V4_MARKERS.some((n) => fields.has(n));
  if (v4 && V2_MARKERS.some((n) => fields.has(n))) {
    throw new S3Error('InvalidArgument', 'A POST form must be signed with Signature Version 2 or 4, not both.', { ArgumentName: 'signature' });
  }
  return v4 ? verifyV4(fields, ctx, policy) : verifyV2(fields, ctx, policy);
}
