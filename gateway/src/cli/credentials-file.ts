// Extra S3 users from a credentials file (`npm start -- --credentials FILE`):
// a JSON array of {"accessKey", "secretKey", "user"}. Each user sees and
// uses only the buckets it created. A bad file is one line of error.

import { readJsonFile } from '../../../shared/src/config.js';
import { ConfigError } from '../../../shared/src/errors.js';
import type { Credential } from '../s3/auth/credentials.js';

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
    return { accessKey: o.accessKey, secretKey: o.secretKey, user: o.user };
  });
}
