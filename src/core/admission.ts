// Whether a new socket may open, and the cluster counters the connection quota is checked against.
import type { App } from './app.js';
import { originAllowed } from './origin.js';
import type { Adapter } from './ports/adapter.js';
import type { ErrorCode } from '../protocol/errors.js';

/** Cluster-wide open connections of an account (the plan's connection quota is account-wide). */
export const connectionsCounter = (accountId: string): string => `conn:${accountId}`;
/** Cluster-wide open connections of one app (dashboard figures). */
export const appConnectionsCounter = (appId: string): string => `conn-app:${appId}`;

/** Why a new socket of this app may not open: disabled app, origin, or the account's connection quota. */
export function admissionProblem(
  app: App,
  origin: string | undefined,
  adapter: Adapter,
): ErrorCode | undefined {
  if (!app.settings.enabled) return 'app_disabled';
  if (!originAllowed(app.settings.allowedOrigins, origin)) return 'origin_not_allowed';
  const max = app.plan.maxConnections;
  if (max !== null && adapter.counterTotal(connectionsCounter(app.accountId)) >= max) {
    return 'connection_quota_exceeded';
  }
  return undefined;
}
