// The POST policy: a base64 JSON document `{"expiration": ..., "conditions": [...]}`
// that a PostObject form must satisfy. Pure: decoding, then evaluation
// against the form's fields; the file size (content-length-range) is checked
// by the caller while the file streams, with the range returned here.
// AWS: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
// (V2: https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html#HTTPPOSTConstructPolicy).

import { S3Error } from '../errors.js';
import type { FormFields } from './post-fields.js';
import { invalidPolicy, policyDenied } from './post-errors.js';

export type Condition =
  /** `{"field": "v"}` or `["eq", "$field", "v"]`; `["starts-with", "$field", "prefix"]`. */
  | { readonly op: 'eq' | 'starts-with'; readonly field: string; readonly spelled: string; readonly value: string }
  /** `["content-length-range", min, max]`: bytes, inclusive. */
  | { readonly op: 'content-length-range'; readonly min: number; readonly max: number };

export interface PostPolicy {
  /** Epoch ms after which the policy is void. */
  readonly expiration: number;
  readonly conditions: readonly Condition[];
}

export interface LengthRange {
  readonly min: number;
  readonly max: number;
}

/**
 * AWS lets a policy use `\$` (a literal `$`) and `\v` beside JSON's own
 * escapes ("Character Escaping" on the AWS page); JSON.parse knows neither.
 * Rewrites those two, leaving every other escape pair as it is.
 */
export function normalizeEscapes(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const n = text[i + 1]!;
    out += n === '$' ? '$' : n === 'v' ? '\\u000b' : c + n;
    i++;
  }
  return out;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function parseExpiration(v: unknown): number {
  if (v === undefined) throw invalidPolicy('Policy missing expiration.');
  const ms = typeof v === 'string' && ISO_8601.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw invalidPolicy(`Invalid 'expiration' value: '${String(v).slice(0, 64)}'`);
  return ms;
}

function lengthBound(v: unknown): number {
  const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalidPolicy('Invalid content-length-range: the bounds must be non-negative integers.');
  }
  return n;
}

/**
 * A bounded rendering of a policy value for an error message. JSON.stringify
 * recurses: a value nested a few thousand arrays deep (it fits in the 20 KB
 * form) overflows the stack, and the RangeError would be a 500.
 */
function preview(v: unknown, max: number): string {
  try {
    return String(JSON.stringify(v)).slice(0, max);
  } catch {
    return '(a deeply nested value)';
  }
}

function fieldRef(v: unknown): { field: string; spelled: string } {
  if (typeof v !== 'string' || !v.startsWith('$') || v.length < 2) {
    throw invalidPolicy(`Invalid Condition: the field must be a string starting with '$', not ${preview(v, 64)}.`);
  }
  return { field: v.slice(1).toLowerCase(), spelled: v.slice(1) };
}

function parseCondition(c: unknown): Condition[] {
  if (Array.isArray(c)) {
    const op = typeof c[0] === 'string' ? c[0].toLowerCase() : '';
    if (c.length !== 3) throw invalidPolicy(`Invalid Condition: wrong number of arguments in ${preview(c, 128)}.`);
    if (op === 'content-length-range') return [{ op, min: lengthBound(c[1]), max: lengthBound(c[2]) }];
    if (op !== 'eq' && op !== 'starts-with') throw invalidPolicy(`Invalid Condition: unknown operation ${preview(c[0], 64)}.`);
    if (typeof c[2] !== 'string') throw invalidPolicy('Invalid Condition: the value must be a string.');
    return [{ op, ...fieldRef(c[1]), value: c[2] }];
  }
  if (typeof c === 'object' && c !== null) {
    const entries = Object.entries(c);
    if (entries.length === 0) throw invalidPolicy('Invalid Simple-Condition: it names no field.');
    return entries.map(([k, v]) => {
      if (typeof v !== 'string') throw invalidPolicy('Invalid Simple-Condition: value must be a string.');
      return { op: 'eq' as const, field: k.toLowerCase(), spelled: k, value: v };
    });
  }
  throw invalidPolicy('Invalid Condition: a condition is an object or an array.');
}

/**
 * The policy field's text → a policy. Strict base64, UTF-8, JSON (with AWS's
 * two extra escapes), an object with an ISO 8601 UTC `expiration` and a
 * `conditions` array of well-formed conditions. Anything else is
 * InvalidPolicyDocument (see post-errors.ts for its stand-in code).
 * Other top-level members are ignored.
 */
export function decodePolicy(b64: string): PostPolicy {
  if (!BASE64.test(b64) || b64.length % 4 !== 0) throw invalidPolicy('Invalid Base64 encoding.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    throw invalidPolicy('Invalid UTF-8.');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(normalizeEscapes(text));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalidPolicy('Invalid JSON: the policy must be an object.');
  const o = doc as Record<string, unknown>;
  const expiration = parseExpiration(o.expiration);
  if (o.conditions === undefined) throw invalidPolicy('Policy missing conditions.');
  if (!Array.isArray(o.conditions)) throw invalidPolicy('Invalid conditions: must be an array.');
  return { expiration, conditions: o.conditions.flatMap(parseCondition) };
}

/**
 * Fields a form may carry without a condition: AWS: "Each form field that
 * you specify in a form (except x-amz-signature, file, policy, and field
 * names that have an x-ignore- prefix) must appear in the list of
 * conditions"; V2 exempts AWSAccessKeyId and signature instead of x-amz-signature.
 */
export function exemptFromPolicy(lowerName: string): boolean {
  return ['file', 'policy', 'signature', 'x-amz-signature', 'awsaccesskeyid'].includes(lowerName) || lowerName.startsWith('x-ignore-');
}

function render(c: Extract<Condition, { op: 'eq' | 'starts-with' }>): string {
  return `[${[c.op, `$${c.spelled}`, c.value].map((s) => JSON.stringify(s)).join(', ')}]`;
}

function holds(c: Extract<Condition, { op: 'eq' | 'starts-with' }>, value: string): boolean {
  if (c.op === 'eq') return value === c.value;
  // AWS: a starts-with on Content-Type applies to each entry of a comma-separated list.
  if (c.field === 'content-type') return value.split(',').every((v) => v.trim().startsWith(c.value));
  return value.startsWith(c.value);
}

export interface PolicyInput {
  /** The form's fields before the file, `${filename}` already expanded. */
  readonly fields: FormFields;
  /** The bucket the request addressed (path or Host): what `bucket` conditions compare. */
  readonly bucket: string;
  readonly now: number;
}

/**
 * Enforces the policy on the form, in this order: expiration, each
 * condition in policy order (a field the form lacks has the value ""), then
 * the rule that every non-exempt field is named by some condition. Every
 * failure is AccessDenied with S3's "Invalid according to Policy: ..."
 * message. Returns the content-length-range the file must satisfy
 * (the intersection when several are given), or undefined.
 */
export function checkPolicy(policy: PostPolicy, input: PolicyInput): LengthRange | undefined {
  if (input.now > policy.expiration) throw policyDenied('Policy expired.');
  let range: LengthRange | undefined;
  const named = new Set<string>();
  for (const c of policy.conditions) {
    if (c.op === 'content-length-range') {
      range = range ? { min: Math.max(range.min, c.min), max: Math.min(range.max, c.max) } : { min: c.min, max: c.max };
      continue;
    }
    named.add(c.field);
    const value = c.field === 'bucket' ? input.bucket : input.fields.get(c.field)?.value ?? '';
    if (!holds(c, value)) throw policyDenied(`Policy Condition failed: ${render(c)}`);
  }
  const extra = [...input.fields].filter(([k]) => !exemptFromPolicy(k) && !named.has(k)).map(([, f]) => f.name);
  if (extra.length > 0) throw policyDenied(`Extra input fields: ${extra.join(', ')}`);
  return range;
}

/**
 * The file's final size against the range. Over the maximum is normally
 * caught while streaming (see tooLarge); this is the end-of-stream check.
 */
export function checkLength(range: LengthRange | undefined, size: number): void {
  if (!range) return;
  if (size > range.max) throw tooLarge(range.max);
  if (size < range.min) {
    throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
      ProposedSize: String(size),
      MinSizeAllowed: String(range.min),
    });
  }
}

/**
 * EntityTooLarge for a file over the policy's maximum. DEVIATION: AWS also
 * reports ProposedSize; the upload is cut off as soon as it passes the
 * maximum, so its size is not known.
 */
export function tooLarge(max: number): S3Error {
  return new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { MaxSizeAllowed: String(max) });
}
