// Target "gateway-protocol": the gateway's side of the protocol
// (gateway/src/protocol/: reads, writes, restore, heal, quorum waits, the
// fragment encoder and its stripe pool, the checker, listing merge), against its unit tests,
// which drive it with simulated Byzantine nodes (gateway/src/protocol/testing/).
import { config } from './base.mjs';

export default config('gateway-protocol',
  [
    'gateway/src/protocol/*.ts', '!gateway/src/protocol/*.test.ts',
    'gateway/src/protocol/list/*.ts', '!gateway/src/protocol/list/*.test.ts',
    'gateway/src/protocol/stripes/*.ts', '!gateway/src/protocol/stripes/*.test.ts',
  ],
  ['dist/gateway/src/protocol/']);
