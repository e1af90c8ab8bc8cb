import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PLANS } from '../core/app.js';
import {
  applySettingsPatch,
  appSettingsPatchSchema,
  defaultAppSettings,
  toCoreSettings,
} from './app-settings.js';
import type { StoredAppSettings } from './store.js';

// Settings as stored before `encrypted_client_events` existed.
const OLD_RECORD: StoredAppSettings = {
  enabled: true,
  client_events: true,
  user_authentication: true,
  subscription_count: false,
  authorized_connections: false,
  allowed_origins: ['*'],
};

describe('encrypted_client_events setting', () => {
  it('defaults to off, also for records written before it existed', () => {
    assert.equal(defaultAppSettings(DEFAULT_PLANS.pro).encrypted_client_events, false);
    assert.equal(toCoreSettings(OLD_RECORD).encryptedClientEvents, false);
    assert.equal(applySettingsPatch(OLD_RECORD, {}).encrypted_client_events, false);
  });

  it('is patched like the other switches and reaches core as encryptedClientEvents', () => {
    const patch = appSettingsPatchSchema.parse({ encrypted_client_events: true });
    const on = applySettingsPatch(OLD_RECORD, patch);
    assert.equal(on.encrypted_client_events, true);
    assert.equal(toCoreSettings(on).encryptedClientEvents, true);
    assert.equal(applySettingsPatch(on, { client_events: false }).encrypted_client_events, true);
    assert.equal(appSettingsPatchSchema.safeParse({ encrypted_client_events: 'yes' }).success, false);
  });
});
