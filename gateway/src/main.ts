// Gateway process: `node dist/gateway/src/main.js --config FILE [--port P] [--host H]`.
// Logs one JSON line {"msg":"listening","port":...} once it serves.

import { intFlag, parseFlags, runCli, stringFlag } from '../../shared/src/config.js';
import { ConfigError } from '../../shared/src/errors.js';
import { announceListening, createLogger } from '../../shared/src/log.js';
import { loadGatewayConfig } from './config.js';
import { buildGateway } from './gateway.js';

runCli(async () => {
  const f = parseFlags(process.argv.slice(2), {
    config: { type: 'string', env: 'POWERSTORE_GATEWAY_CONFIG', describe: 'gateway config file' },
    port: { type: 'string', env: 'POWERSTORE_PORT', describe: 'listen port (0: any free port)' },
    host: { type: 'string', env: 'POWERSTORE_HOST', describe: 'listen address' },
  });
  const path = stringFlag(f.config);
  if (!path) throw new ConfigError('--config is required');
  const port = intFlag(f.port, 'port', 0, 65535, 9000);
  const host = stringFlag(f.host) ?? '127.0.0.1';
  const cfg = loadGatewayConfig(path);
  const log = createLogger('gateway');
  const gw = buildGateway(cfg, log);
  await new Promise<void>((resolve, reject) => {
    gw.server.once('error', (e: NodeJS.ErrnoException) => reject(new ConfigError(`cannot listen on ${host}:${port}: ${e.code}`)));
    gw.server.listen(port, host, resolve);
  });
  const addr = gw.server.address();
  announceListening(typeof addr === 'object' && addr ? addr.port : port, { writer: gw.ctx.writerId, t: cfg.params.t });
  const stop = (): void => {
    log.info('stopping');
    void gw.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
