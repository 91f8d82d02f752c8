// Configuration helpers: command-line flags with environment fallbacks, and
// JSON config files, each failing with one clear line (ConfigError) that a
// CLI prints as-is before exiting non-zero.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** Environment variable consulted when the flag is absent. */
  readonly env?: string;
  readonly multiple?: boolean;
  readonly describe: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export function parseFlags(argv: readonly string[], spec: Record<string, FlagSpec>): FlagValues {
  let values: FlagValues;
  try {
    const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
    for (const [name, s] of Object.entries(spec)) options[name] = { type: s.type, ...(s.multiple ? { multiple: true } : {}) };
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as FlagValues;
  } catch (e) {
    throw new ConfigError((e as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''));
  }
  for (const [name, s] of Object.entries(spec)) {
    if (values[name] === undefined && s.env && process.env[s.env] !== undefined && process.env[s.env] !== '') {
      values[name] = s.type === 'boolean' ? process.env[s.env] === 'true' || process.env[s.env] === '1' : process.env[s.env]!;
    }
  }
  return values;
}

export function intFlag(v: unknown, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`--${name} must be an integer from ${min} to ${max}, got "${String(v)}"`);
  return n;
}

export function stringFlag(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Reads a JSON file; a missing or unparseable file is one line of error. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${what} ${path} is not valid JSON (corrupt?)`);
  }
}

/** Runs a CLI main, printing a ConfigError as one line and exiting 2. */
export function runCli(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
