import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../core/ports/logger.js';

/**
 * Paths whose values never reach a log line, whatever object they appear in. The redaction test
 * (src/server/logger.test.ts) proves it.
 */
export const REDACTED_PATHS = [
  'secret',
  '*.secret',
  'secrets',
  '*.secrets',
  'password',
  '*.password',
  'token',
  '*.token',
  'key_base64',
  '*.key_base64',
  'keyBase64',
  '*.keyBase64',
  'encryptionMasterKeyBase64',
  '*.encryptionMasterKeyBase64',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'auth',
  '*.auth',
];

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'mawjly' } },
    destination as pino.DestinationStream,
  );
}

/**
 * The log destination of `mawjly serve` while it starts: info and debug lines wait until the
 * human-readable banner is out (`release()`), so the first screen a person reads starts with it.
 * Warnings and errors are never held: they flush everything at once, in order.
 */
export class StartupLogBuffer extends Writable {
  #held: Buffer[] | undefined = [];
  readonly #destination: NodeJS.WritableStream;
  constructor(destination: NodeJS.WritableStream) {
    super();
    this.#destination = destination;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.#held === undefined) {
      this.#destination.write(chunk);
    } else {
      this.#held.push(chunk);
      if (/"level":(?:[4-9]\d)/.test(chunk.toString('utf8'))) this.release();
    }
    done();
  }

  /** Writes the held lines and stops holding. */
  release(): void {
    const held = this.#held;
    this.#held = undefined;
    for (const chunk of held ?? []) this.#destination.write(chunk);
  }
}
