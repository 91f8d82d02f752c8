// The S3 error code a client call ended with, for assertions.

import type { S3ServiceException } from '@aws-sdk/client-s3';

/** The error's S3 code (the SDK's exception name), or 'no error'. */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as S3ServiceException).name;
  }
  return 'no error';
}
