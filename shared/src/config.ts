// Configuration helpers: command-line flags with environment fallbacks, and
// JSON config files, each failing with one clear line (ConfigError) that a
// CLI prints as-is before exiting non-zero.

import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';
import { packageVersion } from './version.js';
import { runtimeProblem } from './runtime.js';

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

/** A command of the CLI: its name as typed (`powerstore keys rotate`), what it does, its flags. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly flags: Record<string, FlagSpec>;
}

/** Ends a command early with text for stdout and an exit code (--help, --version). */
export class CliDone extends Error {
  constructor(readonly text: string, readonly code = 0) {
    super('done');
  }
}

/** The --help text of a command, from its flags' descriptions. */
export function usageOf(cmd: CommandSpec): string {
  const rows = Object.entries(cmd.flags).map(([name, s]) => [
    `--${name}${s.type === 'string' ? ' V' : ''}`,
    `${s.describe}${s.env ? ` (env ${s.env})` : ''}${s.multiple ? '; may be repeated' : ''}`,
  ]);
  rows.push(['--help', 'this text'], ['--version', 'the version of PoWerStore S3']);
  const w = Math.max(...rows.map((r) => r[0]!.length));
  return `usage: ${cmd.name} [flags]\n${cmd.summary}\n\nflags:\n${rows.map(([f, d]) => `  ${f!.padEnd(w)}  ${d}`).join('\n')}\n`;
}

/** parseFlags for a command, with --help and --version on every one (CliDone). */
export function parseCommand(argv: readonly string[], cmd: CommandSpec): FlagValues {
  if (argv.includes('--help') || argv.includes('-h')) throw new CliDone(usageOf(cmd));
  if (argv.includes('--version')) throw new CliDone(`powerstore ${packageVersion()}\n`);
  return parseFlags(argv, cmd.flags);
}

/** Whether the module at `url` is the script node was started with (not imported by another). */
export function isMainModule(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

/** Runs a CLI main, printing a ConfigError as one line and exiting 2. */
export function runCli(main: () => Promise<void>): void {
  const problem = runtimeProblem(process.version);
  if (problem) {
    process.stderr.write(`error: ${problem}\n`);
    process.exit(2);
  }
  main().catch((err: unknown) => {
    if (err instanceof CliDone) {
      process.stdout.write(err.text);
      process.exit(err.code);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
