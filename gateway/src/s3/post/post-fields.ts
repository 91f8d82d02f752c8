// The text fields of a PostObject form, as the policy, the authentication
// and the handler see them (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html).

import { S3Error } from '../errors.js';
import { isHeaderName, rfc2047 } from '../objects/object-headers.js';

export interface FormField {
  /** The name as sent (for messages). */
  readonly name: string;
  readonly value: string;
}

/**
 * Fields by lower-case name: S3 matches form field names without regard to
 * case (browsers and boto3 send `policy`, AWS's examples `Policy`,
 * `Content-Type`). Only the fields that came before the file.
 */
export type FormFields = ReadonlyMap<string, FormField>;

export function fieldValue(fields: FormFields, lowerName: string): string | undefined {
  return fields.get(lowerName)?.value;
}

/** Fields holding the policy and its signature: compared byte for byte, never rewritten. */
const SIGNED_MATERIAL = new Set(['policy', 'signature', 'x-amz-signature']);

/**
 * Replaces `${filename}` in every field value (the signed material aside)
 * with the uploaded file's name: AWS: "The variable ${filename} is
 * automatically replaced with the name of the file provided by the user and
 * is recognized by all form fields ... If no file or file name is provided,
 * the variable is replaced with an empty string." The name is already cut
 * after its last `/` or `\` by the form reader. Policy conditions are
 * evaluated on the expanded values (AWS: the check on `key` "takes place
 * after the ${filename} variable is expanded").
 */
export function expandFilename(fields: FormFields, filename: string): FormFields {
  const out = new Map<string, FormField>();
  for (const [k, f] of fields) {
    // split/join, not replaceAll: a replacement string would interpret `$&` etc. in the file name.
    out.set(k, SIGNED_MATERIAL.has(k) ? f : { name: f.name, value: f.value.split('${filename}').join(filename) });
  }
  return out;
}

/** Whether `v` holds a C0 control or DEL (HTAB aside): never part of a stored header value. */
function hasControl(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/**
 * The metadata fields of a form (header name → value) made servable as
 * headers, before anything is stored (review F6: a value that cannot be a
 * header made every later GET and HEAD of the object answer 500):
 *  - CR, LF or another control character in a value, or an x-amz-meta-*
 *    name that is not an HTTP token: 400 InvalidArgument;
 *  - a value with non-US-ASCII characters (form fields are Unicode text,
 *    a `${filename}` often is): stored RFC 2047-encoded, as S3 returns
 *    such metadata, so it reaches clients as the UTF-8 they sent.
 */
export function servableMetadata(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (name.startsWith('x-amz-meta-') && !isHeaderName(name.slice('x-amz-meta-'.length))) {
      throw new S3Error('InvalidArgument', 'User metadata names must be valid HTTP header names.', { ArgumentName: name });
    }
    if (hasControl(value)) {
      throw new S3Error('InvalidArgument', `The ${name} field holds a control character.`, { ArgumentName: name });
    }
    out[name] = /^[\t\x20-\x7e]*$/.test(value) ? value : rfc2047(value);
  }
  return out;
}
