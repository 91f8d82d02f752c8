// The product's version, from the package.json it ships with (three folders
// above dist/shared/src when built, two above the source).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (!existsSync(path)) continue;
    const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'powerstore-s3') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}
