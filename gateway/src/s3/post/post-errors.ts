// The errors PostObject answers, built in one place. AWS codes and messages
// from https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html.

import { S3Error } from '../errors.js';

/** 400 InvalidPolicyDocument: "The content of the form does not meet the conditions specified in the policy document." */
export function invalidPolicy(detail: string): S3Error {
  return new S3Error('InvalidPolicyDocument', `Invalid Policy: ${detail}`);
}

/** 400 MalformedPOSTRequest. */
export function malformedPost(): S3Error {
  return new S3Error('MalformedPOSTRequest');
}

/** 400 MaxPostPreDataLengthExceededError. */
export function preDataTooLarge(): S3Error {
  return new S3Error('MaxPostPreDataLengthExceededError');
}

/** 403 AccessDenied with the "Invalid according to Policy" messages of S3. */
export function policyDenied(detail: string): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: ${detail}`);
}

/** 400 InvalidArgument for a required form field that did not come before the file. */
export function missingField(name: string): S3Error {
  return new S3Error('InvalidArgument', `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, {
    ArgumentName: name,
    ArgumentValue: '',
  });
}

/** 400 InvalidArgument: no file part, or more than one. */
export function notOneFile(count: number): S3Error {
  return new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.', {
    ArgumentName: 'file',
    ArgumentValue: String(count),
  });
}
