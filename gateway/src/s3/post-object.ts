// PostObject: browser uploads with an HTML form and a signed policy
// (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html).

import type { S3Context, S3Request, S3Response } from './context.js';
import type { Endpoint } from './endpoints.js';
import { S3Error } from './errors.js';

export async function postObject(_s3: S3Context, _r: S3Request<Endpoint>): Promise<S3Response> {
  throw new S3Error('NotImplemented', 'PostObject is not implemented by this gateway.');
}
