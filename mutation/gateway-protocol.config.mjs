// Target "gateway-protocol": the gateway's side of the protocol
// (gateway/src/protocol/: reads, writes, restore, heal, quorum waits, the
// fragment encoder and checker, listing merge), against its unit tests,
// which drive it with simulated Byzantine nodes (gateway/src/protocol/testing/).
import { config } from './base.mjs';

export default config('gateway-protocol',
  ['gateway/src/protocol/*.ts', '!gateway/src/protocol/*.test.ts', 'gateway/src/protocol/list/*.ts', '!gateway/src/protocol/list/*.test.ts'],
  ['dist/gateway/src/protocol/']);
