// App settings (PRODUCT.md "App settings"): validation of the API/apps-file shape (snake_case),
// defaults for omitted keys, and the conversion to core's camelCase AppSettings.
import { z } from 'zod';
import type { AppSettings, PlanLimits } from '../core/app.js';
import type { HistoryRetention } from '../core/ports/channel-history.js';
import { MawjlyError } from '../protocol/errors.js';
import { MAX_HISTORY_AGE_SECONDS, MAX_HISTORY_EVENTS } from '../protocol/limits.js';
import type { StoredAppSettings, StoredHistorySettings } from './store.js';

const ORIGIN =
  /^https?:\/\/(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;

const allowedOrigins = z
  .array(
    z
      .string()
      .max(253)
      .refine((o) => o === '*' || ORIGIN.test(o), {
        error: 'expected "*" or an origin like "https://example.com" or "https://*.example.com"',
      }),
  )
  .min(1, 'at least one origin ("*" allows any)')
  .max(100);

/** A partial settings object: every key optional, unknown keys refused. */
export const appSettingsPatchSchema = z.strictObject({
  enabled: z.boolean().optional(),
  client_events: z.boolean().optional(),
  encrypted_client_events: z.boolean().optional(),
  user_authentication: z.boolean().optional(),
  subscription_count: z.boolean().optional(),
  authorized_connections: z.boolean().optional(),
  allowed_origins: allowedOrigins.optional(),
  /** Channel history: null (off) or how much to keep per channel, within the plan's ceiling. */
  history: z
    .strictObject({
      max_events: z.number().int().min(1).max(MAX_HISTORY_EVENTS),
      max_age_seconds: z.number().int().min(1).max(MAX_HISTORY_AGE_SECONDS),
    })
    .nullable()
    .optional(),
});
export type AppSettingsPatch = z.infer<typeof appSettingsPatchSchema>;

export function defaultAppSettings(plan: PlanLimits): StoredAppSettings {
  return {
    enabled: true,
    client_events: plan.clientEvents,
    encrypted_client_events: false,
    user_authentication: true,
    subscription_count: false,
    authorized_connections: false,
    allowed_origins: ['*'],
    history: null,
  };
}

export function applySettingsPatch(base: StoredAppSettings, patch: AppSettingsPatch): StoredAppSettings {
  return {
    enabled: patch.enabled ?? base.enabled,
    client_events: patch.client_events ?? base.client_events,
    encrypted_client_events: patch.encrypted_client_events ?? base.encrypted_client_events ?? false,
    user_authentication: patch.user_authentication ?? base.user_authentication,
    subscription_count: patch.subscription_count ?? base.subscription_count,
    authorized_connections: patch.authorized_connections ?? base.authorized_connections,
    allowed_origins: patch.allowed_origins ? [...new Set(patch.allowed_origins)] : base.allowed_origins,
    history: patch.history === undefined ? (base.history ?? null) : patch.history,
  };
}

/** Throws when `history` cannot be set on `plan` (no history on the plan, or past its ceiling). */
export function checkHistorySetting(
  history: StoredHistorySettings | null | undefined,
  plan: PlanLimits,
): void {
  if (history === null || history === undefined) return;
  const ceiling = plan.history;
  if (ceiling === null) {
    throw new MawjlyError(
      'plan_feature_unavailable',
      `Channel history is not available on the ${plan.name} plan; upgrade to Pro or Business`,
    );
  }
  if (history.max_events > ceiling.maxEvents || history.max_age_seconds > ceiling.maxAgeSeconds) {
    throw new MawjlyError(
      'validation_failed',
      `history: the ${plan.name} plan keeps at most ${ceiling.maxEvents} events for ${ceiling.maxAgeSeconds} seconds per channel`,
    );
  }
}

/** The stored setting as the engine applies it: off without a plan ceiling, else clamped to it. */
function coreHistory(
  history: StoredHistorySettings | null | undefined,
  plan: PlanLimits | undefined,
): HistoryRetention | null {
  if (history === null || history === undefined) return null;
  const ceiling = plan === undefined ? { maxEvents: Infinity, maxAgeSeconds: Infinity } : plan.history;
  if (ceiling === null) return null;
  return {
    maxEvents: Math.min(history.max_events, ceiling.maxEvents),
    maxAgeMs: Math.min(history.max_age_seconds, ceiling.maxAgeSeconds) * 1000,
  };
}

export function toCoreSettings(s: StoredAppSettings, plan?: PlanLimits): AppSettings {
  return {
    enabled: s.enabled,
    clientEvents: s.client_events,
    encryptedClientEvents: s.encrypted_client_events ?? false,
    userAuthentication: s.user_authentication,
    subscriptionCount: s.subscription_count,
    authorizedConnections: s.authorized_connections,
    allowedOrigins: s.allowed_origins,
    history: coreHistory(s.history, plan),
  };
}
