// The text fields of a PostObject form, as the policy, the authentication
// and the handler see them (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html).

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
