// The S3 secret key and admin token an operator gives `powerstore start` or
// `powerstore init`: from a file or the environment, never shown by `ps`
// unless given as a flag (which is warned about).

import { resolve } from 'node:path';
import { stringFlag, type FlagValues } from '@powerstore/shared/config.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { checkAdminToken, readSecretFile } from '../config.js';

/**
 * The S3 secret key: from --secret-key-file, else POWERSTORE_SECRET_KEY or
 * --secret-key. On the command line it stays readable by every local user
 * (`ps`) for the life of the cluster (review F14): a warning says so.
 */
export function secretKeyGiven(f: FlagValues): string | undefined {
  const file = stringFlag(f['secret-key-file']);
  if (file !== undefined) {
    if (f['secret-key'] !== undefined) throw new ConfigError('give --secret-key-file or --secret-key (or POWERSTORE_SECRET_KEY), not both');
    return readSecretFile(resolve(file), 'secret key');
  }
  if (process.argv.some((a) => a === '--secret-key' || a.startsWith('--secret-key='))) {
    process.stderr.write('warning: --secret-key is visible to every local user in `ps`; use POWERSTORE_SECRET_KEY or --secret-key-file\n');
  }
  return stringFlag(f['secret-key']);
}

/** The admin token: from --admin-token-file (POWERSTORE_ADMIN_TOKEN_FILE) or POWERSTORE_ADMIN_TOKEN; never a flag value. */
export function adminTokenGiven(f: FlagValues): string | undefined {
  const file = stringFlag(f['admin-token-file']);
  if (file !== undefined) return checkAdminToken(readSecretFile(resolve(file), 'admin token'), `--admin-token-file ${file}`);
  const env = process.env.POWERSTORE_ADMIN_TOKEN;
  return env ? checkAdminToken(env, 'POWERSTORE_ADMIN_TOKEN') : undefined;
}
