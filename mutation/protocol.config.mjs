// Target "protocol": the pure protocol core, all of shared/src/protocol/.
import { config } from './base.mjs';

export default config('protocol',
  [
    'shared/src/protocol/*.ts', '!shared/src/protocol/*.test.ts',
    'shared/src/protocol/wire/*.ts', '!shared/src/protocol/wire/*.test.ts',
  ],
  [
    'shared/dist/protocol/',
    'dist/gateway/src/protocol/protocol.test.js',
    'dist/gateway/src/protocol/gc.test.js',
    'dist/gateway/src/protocol/hints.test.js',
    'dist/gateway/src/protocol/list/list-merge.test.js',
    // client.ts's and pins.ts's decisions as the gateway's reads make them (in-process simulated cluster, < 1 s each)
    'dist/gateway/src/protocol/epochs.test.js',
    'dist/gateway/src/protocol/read-pins.test.js',
    'dist/gateway/src/protocol/filter-blocks.test.js',
    'dist/gateway/src/protocol/list/list-bytes.test.js',
  ]);
