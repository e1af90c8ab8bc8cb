// App settings (PRODUCT.md "App settings"): validation of the API/apps-file shape (snake_case),
// defaults for omitted keys, and the conversion to core's camelCase AppSettings.
import { z } from 'zod';
import type { AppSettings, PlanLimits } from '../core/app.js';
import type { StoredAppSettings } from './store.js';

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
  };
}

export function toCoreSettings(s: StoredAppSettings): AppSettings {
  return {
    enabled: s.enabled,
    clientEvents: s.client_events,
    encryptedClientEvents: s.encrypted_client_events ?? false,
    userAuthentication: s.user_authentication,
    subscriptionCount: s.subscription_count,
    authorizedConnections: s.authorized_connections,
    allowedOrigins: s.allowed_origins,
  };
}
