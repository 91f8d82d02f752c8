// Python pieces the boto3 tests share: `code(f)` (what a call that fails
// answered), clients for a second user and an anonymous one, and a runner
// that fails the test unless the script printed "ok" last.

import { strict as assert } from 'node:assert';
import { boto3 } from './cli.js';
import type { TestCluster } from './cluster.js';

/**
 * `code(f)`: (error code, HTTP status, third) of a call that fails, or
 * (None, 200, default) when it succeeds; third is the response's headers or
 * its error message.
 */
export function pyCode(third: 'headers' | 'message'): string {
  const [value, dflt] = third === 'headers'
    ? ["e.response['ResponseMetadata']['HTTPHeaders']", '{}'] : ["e.response['Error'].get('Message')", 'None'];
  return [
    'from botocore.exceptions import ClientError',
    'def code(f):',
    '    try:',
    '        f()',
    '    except ClientError as e:',
    `        return e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], ${value}`,
    `    return None, 200, ${dflt}`,
    '',
  ].join('\n');
}

/** `client(**kw)`, `bob` (the given user's client) and `anon` (unsigned requests), beside the owner's `s3`. */
export function pyClients(bob: { accessKey: string; secretKey: string }): string {
  return [
    'from botocore import UNSIGNED',
    'from botocore.exceptions import ClientError',
    "def client(**kw): return boto3.client('s3', endpoint_url=os.environ['PS_ENDPOINT'], region_name=os.environ['PS_REGION'], config=Config(s3={'addressing_style': 'path'}, **kw.pop('cfg', {})), **kw)",
    `bob = client(aws_access_key_id='${bob.accessKey}', aws_secret_access_key='${bob.secretKey}')`,
    "anon = client(cfg={'signature_version': UNSIGNED})",
    '',
  ].join('\n');
}

/** Runs `prelude` then `lines` with boto3; the test fails unless the script ends by printing "ok". */
export async function boto3Checks(tc: TestCluster, prelude: string, lines: readonly string[]): Promise<void> {
  const r = await boto3(tc, [prelude, ...lines, "print('ok')"].join('\n'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').pop(), 'ok', r.stdout);
}
