// The product's version, from the root package.json it ships with: two
// folders above this file, in shared/src and built in shared/dist alike
// (shared's own package.json, one folder up, names the package, not the product).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  const path = fileURLToPath(new URL('../../package.json', import.meta.url));
  if (!existsSync(path)) return 'unknown';
  const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
  return pkg.name === 'powerstore-s3' ? (pkg.version ?? 'unknown') : 'unknown';
}
