// Target "auth": S3 request authentication (SigV4, SigV2, presigned URLs).
import { config } from './base.mjs';

export default config('auth',
  ['gateway/src/s3/auth/*.ts', '!gateway/src/s3/auth/*.test.ts'],
  ['dist/gateway/src/s3/auth/']);
