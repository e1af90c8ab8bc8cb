// Input checks and normalisation shared by both stores, so they accept and reject the same things.
import type { AppRecord } from '../management/store.js';
import { MawjlyError } from '../protocol/errors.js';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;

/** Emails are unique regardless of case; storing them lowercased makes the plain index do that. */
export function normalizeEmail(email: string): string {
  return email.toLowerCase();
}

export function checkDay(day: string): string {
  if (!DAY.test(day)) throw new MawjlyError('invalid_request', 'Usage day must be a UTC date YYYY-MM-DD');
  return day;
}

export function checkMessageCount(messages: number): number {
  if (!Number.isSafeInteger(messages) || messages < 0) {
    throw new MawjlyError('invalid_request', 'Message count must be a non-negative integer');
  }
  return messages;
}

/** Validates `listAudit` options; `before` is null when paging starts at the newest entry. */
export function auditPage(options: { limit?: number; before?: string } | undefined): {
  limit: number;
  before: number | null;
} {
  const limit = options?.limit ?? DEFAULT_AUDIT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) {
    throw new MawjlyError('invalid_request', `Audit limit must be an integer from 1 to ${MAX_AUDIT_LIMIT}`);
  }
  const before = options?.before;
  if (before === undefined) return { limit, before: null };
  if (!/^\d{1,15}$/.test(before))
    throw new MawjlyError('invalid_request', 'Audit cursor must be an entry id');
  return { limit, before: Number(before) };
}

export type AppPatch = Partial<Omit<AppRecord, 'id' | 'createdAt'>>;

/** The columns an `updateApp` patch sets, with database values; `undefined` fields are left alone. */
export function appPatchColumns(patch: AppPatch): [column: string, value: string | number | null][] {
  const columns: [string, string | number | null][] = [];
  if (patch.accountId !== undefined) columns.push(['account_id', patch.accountId]);
  if (patch.name !== undefined) columns.push(['name', patch.name]);
  if (patch.key !== undefined) columns.push(['key', patch.key]);
  if (patch.secret !== undefined) columns.push(['secret', patch.secret]);
  if (patch.previousSecret !== undefined) columns.push(['previous_secret', patch.previousSecret]);
  if (patch.previousSecretValidUntil !== undefined) {
    columns.push(['previous_secret_valid_until', patch.previousSecretValidUntil]);
  }
  if (patch.settings !== undefined) columns.push(['settings', JSON.stringify(patch.settings)]);
  return columns;
}
