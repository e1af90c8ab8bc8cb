// Wires every implementation together (the only place that does). Being written: see the engine.
import type { Config } from '../config/config.js';

export interface StartOptions {
  readonly config: Config;
  readonly stdout?: NodeJS.WritableStream;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly metricsPort: number;
  close(): Promise<void>;
}

export function startServer(_options: StartOptions): Promise<RunningServer> {
  return Promise.reject(new Error('the server wiring is not written yet'));
}
