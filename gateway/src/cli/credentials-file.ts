// Extra S3 users from a credentials file (`npm start -- --credentials FILE`):
// a JSON array of {"accessKey", "secretKey", "user"}, each optionally with
// "access" ("read-only", "append-only" or "read-write", the default) and
// "buckets" (the only buckets the key may see and touch): key-scope.ts.
// Each user sees and uses only the buckets it created. A bad file is one
// line of error (at start: exit 2; on a SIGHUP reload: the old keys stay).

import { readJsonFile } from '@powerstore/shared/config.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import type { Credential } from '../s3/auth/credentials.js';
import { parseKeyScope } from '../s3/access/key-scope.js';

export function loadCredentialsFile(path: string): Credential[] {
  const raw = readJsonFile(path, 'credentials file');
  if (!Array.isArray(raw)) throw new ConfigError(`credentials file ${path} must hold a JSON array of {accessKey, secretKey, user}`);
  const seen = new Set<string>();
  return raw.map((c: unknown, i): Credential => {
    const o = c as Partial<Credential> | null;
    const ok = (v: unknown, re: RegExp): v is string => typeof v === 'string' && re.test(v);
    if (!o || !ok(o.accessKey, /^[A-Za-z0-9]{3,128}$/) || !ok(o.secretKey, /^\S{8,128}$/) || !ok(o.user, /^[A-Za-z0-9._@-]{1,64}$/)) {
      throw new ConfigError(`credentials file ${path}: entry ${i} needs accessKey (letters and digits), secretKey (8+ characters) and user`);
    }
    if (seen.has(o.accessKey)) throw new ConfigError(`credentials file ${path}: access key ${o.accessKey} appears twice`);
    seen.add(o.accessKey);
    const scope = parseKeyScope(o, `credentials file ${path}: entry ${i} (${o.accessKey})`);
    if (typeof scope === 'string') throw new ConfigError(scope);
    return { accessKey: o.accessKey, secretKey: o.secretKey, user: o.user, ...scope };
  });
}
