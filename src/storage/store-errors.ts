// Errors the stores raise, shared so both dialects say the same thing. Conflict messages never
// include the conflicting value: some unique columns (token hashes) derive from secrets.
import { MawjlyError } from '../protocol/errors.js';

const CONFLICT_MESSAGES = {
  account_name: 'An account with this name already exists',
  user_email: 'A user with this email already exists',
  app_id: 'An app with this id already exists',
  app_key: 'An app with this key already exists',
  token_hash: 'An API token with this hash already exists',
  active_key: 'The app already has an active encryption key',
  key_version: 'The app already has an encryption key with this version',
  session_id: 'A session with this id already exists',
} as const;

export type UniqueConstraint = keyof typeof CONFLICT_MESSAGES;

export function conflictError(constraint: UniqueConstraint | undefined): MawjlyError {
  return new MawjlyError('conflict', constraint === undefined ? undefined : CONFLICT_MESSAGES[constraint]);
}

/** `what` names the missing record, e.g. "App 123" or "Account". */
export function notFoundError(what: string): MawjlyError {
  return new MawjlyError('not_found', `${what} not found`);
}

export function unavailableError(message: string): MawjlyError {
  return new MawjlyError('database_unavailable', message);
}

/** Default bound on each store call (MAWJLY_DATABASE_TIMEOUT_MS). */
export const DEFAULT_DATABASE_TIMEOUT_MS = 2000;
