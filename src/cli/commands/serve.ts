import { parseArgs } from 'node:util';
import { loadConfig, type ConfigInput } from '../../config/config.js';
import { startServer } from '../../server/server.js';
import { UsageError, type Command } from './command.js';

const usage = `Usage: mawjly serve [options]

Runs the realtime server, HTTP API, management API, dashboard and metrics.
Every option also has an environment variable (docs/configuration.md).

Options:
  --port N            HTTP + WebSocket port (PORT, default 6001)
  --host ADDR         bind address (HOST, default 0.0.0.0)
  --metrics-port N    Prometheus port (METRICS_PORT, default PORT + 3600: 9601)
  --data-dir DIR      local data directory (MAWJLY_DATA_DIR, default ./data)
  --apps-file FILE    JSON array of apps to upsert at start (MAWJLY_APPS_FILE)
  --init              create the database even in a data directory that holds other files
                      (without it, only a missing or empty data directory gets a new one)
`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the Mawjly server',
  usage,
  async run(args, io) {
    let values;
    try {
      ({ values } = parseArgs({
        args: [...args],
        options: {
          port: { type: 'string' },
          host: { type: 'string' },
          'metrics-port': { type: 'string' },
          'data-dir': { type: 'string' },
          'apps-file': { type: 'string' },
        },
        strict: true,
      }));
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const overrides: ConfigInput = {};
    if (values.port !== undefined) overrides.port = values.port;
    if (values.host !== undefined) overrides.host = values.host;
    if (values['metrics-port'] !== undefined) overrides.metricsPort = values['metrics-port'];
    if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
    if (values['apps-file'] !== undefined) overrides.appsFile = values['apps-file'];
    const config = loadConfig(io.env, overrides);
    const server = await startServer({
      config,
      stdout: io.stdout,
      createDatabase: io.init === true ? 'always' : 'first-run',
      warmUp: config.warmUp,
    });
    const stop = (signal: string): void => {
      io.stderr.write(`mawjly: ${signal} received, draining connections\n`);
      void server.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', () => {
      stop('SIGTERM');
    });
    process.once('SIGINT', () => {
      stop('SIGINT');
    });
    return 0;
  },
};
