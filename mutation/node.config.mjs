// Target "node": the storage node's request handlers.
import { config } from './base.mjs';

export default config('node',
  [
    'storage-node/src/blocks-handler.ts',
    'storage-node/src/keys-handler.ts',
    'storage-node/src/rpc-handlers.ts',
    'storage-node/src/store-handler.ts',
  ],
  [
    'dist/storage-node/src/server.test.js',
    'dist/storage-node/src/keys-handler.test.js',
    'dist/storage-node/src/store/fragment-repair.test.js',
    'dist/storage-node/src/faults.test.js',
    // What an answer waits for: the sync of the commit it shows (blocks-handler's barrier).
    'dist/storage-node/src/unsynced-answers.test.js',
    'dist/storage-node/src/handlers.mutation.test.js',
    'dist/storage-node/src/keys-handler.mutation.test.js',
    'dist/storage-node/src/keys-handler.messages.mutation.test.js',
    'dist/storage-node/src/store-handler.mutation.test.js',
    'dist/storage-node/src/store-handler.faults.mutation.test.js',
    'dist/storage-node/src/store-handler.races.mutation.test.js',
    'dist/storage-node/src/rpc-handlers.mutation.test.js',
    'dist/storage-node/src/rpc-handlers.pins.mutation.test.js',
    'dist/storage-node/src/handlers.survivors.mutation.test.js',
    // handleList's page cut by count and by bytes (a real store, about 2 s).
    'dist/storage-node/src/list-bytes.test.js',
  ]);
