// Target "node": the storage node's request handlers.
import { config } from './base.mjs';

export default config('node',
  [
    'storage-node/src/handlers/blocks-handler.ts',
    'storage-node/src/handlers/keys-handler.ts',
    'storage-node/src/handlers/rpc-handlers.ts',
    'storage-node/src/handlers/store-handler.ts',
    'storage-node/src/store/staging.ts',
    'storage-node/src/store/direct-io.ts',
  ],
  [
    'dist/storage-node/src/server.test.js',
    'dist/storage-node/src/handlers/keys-handler.test.js',
    'dist/storage-node/src/store/fragment-repair.test.js',
    'dist/storage-node/src/faults.test.js',
    // What an answer waits for: the sync of the commit it shows (blocks-handler's barrier).
    'dist/storage-node/src/handlers/unsynced-answers.test.js',
    'dist/storage-node/src/handlers/handlers.mutation.test.js',
    'dist/storage-node/src/handlers/keys-handler.mutation.test.js',
    'dist/storage-node/src/handlers/keys-handler.messages.mutation.test.js',
    'dist/storage-node/src/handlers/store-handler.mutation.test.js',
    'dist/storage-node/src/handlers/store-handler.faults.mutation.test.js',
    'dist/storage-node/src/handlers/store-handler.races.mutation.test.js',
    'dist/storage-node/src/handlers/rpc-handlers.mutation.test.js',
    'dist/storage-node/src/handlers/rpc-handlers.pins.mutation.test.js',
    'dist/storage-node/src/handlers/handlers.survivors.mutation.test.js',
    // handleList's page cut by count and by bytes (a real store, about 2 s).
    'dist/storage-node/src/handlers/list-bytes.test.js',
    // Staging a fragment: inline or a file, written in batches.
    'dist/storage-node/src/store/staging.test.js',
    // Direct reads of fragment files: ranges, the end of the file, the pooled buffer.
    'dist/storage-node/src/store/direct-io.test.js',
  ]);
