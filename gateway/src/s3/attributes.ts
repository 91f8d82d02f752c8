// GetObjectAttributes (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html).

import type { S3Context, S3Request, S3Response } from './context.js';
import type { Endpoint } from './endpoints.js';
import { S3Error } from './errors.js';

export async function getObjectAttributes(_s3: S3Context, _r: S3Request<Endpoint>): Promise<S3Response> {
  throw new S3Error('NotImplemented', 'GetObjectAttributes is not implemented by this gateway.');
}
