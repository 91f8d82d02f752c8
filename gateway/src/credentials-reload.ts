// SIGHUP: the gateway reads its config file again and takes the new S3
// credentials (keys, their access levels and bucket lists: key-scope.ts)
// without a restart. Only the credentials change; every other field keeps
// the value the gateway started with. A file that no longer loads (bad JSON,
// a bad field anywhere) changes nothing: the old credentials stay, and one
// JSON error line says why. The gateway never stops over it.

import type { Logger } from '@powerstore/shared/log.js';
import { loadGatewayConfig } from './config.js';
import type { Credential } from './s3/auth/credentials.js';

/** Reloads; true when the new credentials are in force. */
export function reloadCredentials(path: string, replace: (credentials: readonly Credential[]) => void, log: Pick<Logger, 'info' | 'error'>): boolean {
  try {
    const { credentials } = loadGatewayConfig(path);
    replace(credentials);
    log.info({ keys: credentials.length, config: path }, 'credentials reloaded');
    return true;
  } catch (e) {
    log.error({ config: path, reason: (e as Error).message }, 'credentials reload failed: the previous credentials stay in force');
    return false;
  }
}
