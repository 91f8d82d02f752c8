// Target "body": aws-chunked framing and checksum parsing of request bodies.
import { config } from './base.mjs';

export default config('body',
  ['gateway/src/s3/body/aws-chunked.ts', 'gateway/src/s3/body/checksums.ts'],
  ['dist/gateway/src/s3/body/']);
