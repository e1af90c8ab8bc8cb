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
