// Runs real command-line S3 clients (aws CLI, rclone, s3cmd) against a test
// cluster, with credentials in the environment and no user config.

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCluster } from './cluster.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `aws --endpoint-url … <args>` with the cluster's credentials and an empty config. */
export function aws(tc: TestCluster, args: readonly string[]): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'ps-aws-'));
  return run('aws', ['--endpoint-url', tc.cluster.endpoint, ...args], {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: tc.cluster.credentials.accessKey,
    AWS_SECRET_ACCESS_KEY: tc.cluster.credentials.secretKey,
    AWS_DEFAULT_REGION: tc.cluster.region,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
  });
}
