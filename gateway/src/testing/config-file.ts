// The smallest valid gateway.json a config test starts from (t = 1, four
// nodes on `scheme`, one credential), to add or change the field under test.

import { GATEWAY_CONFIG_FORMAT } from '../config.js';

export function minimalConfigFile(scheme: 'http' | 'https' = 'http') {
  return {
    format: GATEWAY_CONFIG_FORMAT, t: 1, region: 'us-east-1', secrets: { 0: 'ab'.repeat(32) }, currentEpoch: 0,
    nodes: [1, 2, 3, 4].map((p) => `${scheme}://127.0.0.1:${p}`),
    credentials: [{ accessKey: 'a', secretKey: 's', user: 'u' }],
  };
}
