// Runs real command-line S3 clients (aws CLI, rclone, s3cmd) against a test
// cluster, with credentials in the environment and no user config.

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

/** The cluster's CA file when it serves HTTPS (clients trust exactly that). */
export function caFile(tc: TestCluster): string | undefined {
  return tc.cluster.tlsFiles?.cert;
}

/** `aws --endpoint-url … <args>` with the cluster's credentials and an empty config. */
export function aws(tc: TestCluster, args: readonly string[]): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'ps-aws-'));
  const ca = caFile(tc);
  return run('aws', ['--endpoint-url', tc.cluster.endpoint, ...(ca ? ['--ca-bundle', ca] : []), ...args], {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: tc.cluster.credentials.accessKey,
    AWS_SECRET_ACCESS_KEY: tc.cluster.credentials.secretKey,
    AWS_DEFAULT_REGION: tc.cluster.region,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
  });
}

/** rclone with a remote "ps:" for the cluster (path style, provider Other), from a fresh config file. */
export function rclone(tc: TestCluster, args: readonly string[]): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'ps-rclone-'));
  const conf = join(home, 'rclone.conf');
  writeFileSync(conf, [
    '[ps]', 'type = s3', 'provider = Other', `access_key_id = ${tc.cluster.credentials.accessKey}`,
    `secret_access_key = ${tc.cluster.credentials.secretKey}`, `endpoint = ${tc.cluster.endpoint}`,
    `region = ${tc.cluster.region}`, 'force_path_style = true', '',
  ].join('\n'));
  const ca = caFile(tc);
  return run('rclone', ['--config', conf, ...(ca ? ['--ca-cert', ca] : []), ...args], { PATH: process.env.PATH, HOME: home });
}

/** s3cmd with a fresh config file for the cluster (path style; HTTPS when the cluster serves it). */
export function s3cmd(tc: TestCluster, args: readonly string[]): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'ps-s3cmd-'));
  const conf = join(home, 's3cfg');
  const hostPort = tc.cluster.endpoint.replace(/^https?:\/\//, '');
  const ca = caFile(tc);
  writeFileSync(conf, [
    '[default]', `access_key = ${tc.cluster.credentials.accessKey}`, `secret_key = ${tc.cluster.credentials.secretKey}`,
    `host_base = ${hostPort}`, `host_bucket = ${hostPort}`, `use_https = ${ca ? 'True' : 'False'}`,
    ...(ca ? [`ca_certs_file = ${ca}`, 'check_ssl_certificate = True'] : []), `bucket_location = ${tc.cluster.region}`, '',
  ].join('\n'));
  return run('s3cmd', ['-c', conf, ...args], { PATH: process.env.PATH, HOME: home });
}

/** A python3 script run with boto3, given the cluster's endpoint, credentials and CA in its environment. */
export function boto3(tc: TestCluster, script: string, args: readonly string[] = []): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'ps-boto3-'));
  const prelude = [
    'import os, sys, boto3',
    'from botocore.config import Config',
    "s3 = boto3.client('s3', endpoint_url=os.environ['PS_ENDPOINT'], aws_access_key_id=os.environ['PS_KEY'],",
    "  aws_secret_access_key=os.environ['PS_SECRET'], region_name=os.environ['PS_REGION'],",
    "  verify=os.environ.get('PS_CA') or True, config=Config(s3={'addressing_style': 'path'}))",
    '',
  ].join('\n');
  const file = join(home, 'script.py');
  writeFileSync(file, prelude + script);
  const ca = caFile(tc);
  return run('python3', [file, ...args], {
    PATH: process.env.PATH, HOME: home, PS_ENDPOINT: tc.cluster.endpoint, PS_KEY: tc.cluster.credentials.accessKey,
    PS_SECRET: tc.cluster.credentials.secretKey, PS_REGION: tc.cluster.region, ...(ca ? { PS_CA: ca } : {}),
  });
}
