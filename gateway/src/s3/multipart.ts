// Multipart uploads (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html and siblings).

import type { S3Context, S3Request, S3Response } from './context.js';
import type { Endpoint } from './endpoints.js';
import { S3Error } from './errors.js';

type Req = S3Request<Endpoint>;

function notYet(op: string): never {
  throw new S3Error('NotImplemented', `${op} is not implemented by this gateway.`);
}

export async function createMultipartUpload(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('CreateMultipartUpload');
}
export async function uploadPart(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('UploadPart');
}
export async function uploadPartCopy(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('UploadPartCopy');
}
export async function completeMultipartUpload(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('CompleteMultipartUpload');
}
export async function abortMultipartUpload(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('AbortMultipartUpload');
}
export async function listParts(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('ListParts');
}
export async function listMultipartUploads(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('ListMultipartUploads');
}
