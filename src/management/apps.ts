// Apps: credentials from a CSPRNG, settings, the plan's app cap, secret rotation with a grace period
// during which both secrets verify. Every change is audited and reaches the directory at once.
import { randomBytes, randomInt } from 'node:crypto';
import { MawjlyError } from '../protocol/errors.js';
import {
  applySettingsPatch,
  checkHistorySetting,
  defaultAppSettings,
  type AppSettingsPatch,
} from './app-settings.js';
import type { Actor } from './audit.js';
import type { ManagementContext } from './management-context.js';
import type { AccountRecord, AppRecord, StoredAppSettings } from './store.js';

export const MAX_GRACE_SECONDS = 86_400;
const APP_NAME_MAX = 100;

export function generateAppId(): string {
  return String(randomInt(1_000_000, 10_000_000));
}
export function generateAppKey(): string {
  return randomBytes(10).toString('hex');
}
export function generateAppSecret(): string {
  return randomBytes(16).toString('hex');
}

/** `••••abcd`: enough to tell secrets apart, never enough to use one. */
export function maskSecret(secret: string): string {
  return `••••${secret.slice(-4)}`;
}

export interface CreateAppInput {
  readonly name?: string;
  readonly settings?: AppSettingsPatch;
  /** Fixed credentials (apps file); generated when omitted. */
  readonly id?: string;
  readonly key?: string;
  readonly secret?: string;
  /** Set by the operator (apps file): the plan's app cap and features are not enforced. */
  readonly operator?: boolean;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > APP_NAME_MAX) {
    throw new MawjlyError('validation_failed', `name: 1 to ${APP_NAME_MAX} characters`);
  }
  return trimmed;
}

export class AppService {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  async create(account: AccountRecord, input: CreateAppInput, actor: Actor): Promise<AppRecord> {
    const { store, plans } = this.#ctx;
    const plan = plans[account.plan];
    const existing = await store.apps.listApps(account.id);
    if (input.operator !== true && plan.maxApps !== null && existing.length >= plan.maxApps) {
      throw new MawjlyError(
        'plan_limit_reached',
        `The ${account.plan} plan allows ${plan.maxApps} app${plan.maxApps === 1 ? '' : 's'}; upgrade to add more`,
      );
    }
    const requested = applySettingsPatch(defaultAppSettings(plan), input.settings ?? {});
    const settings = input.operator === true ? requested : this.#checkSettings(requested, account);
    const id = input.id ?? (await this.#uniqueId());
    const key = input.key ?? (await this.#uniqueKey());
    if (input.id !== undefined && (await store.apps.findApp(id))) {
      throw new MawjlyError('conflict', `An app with id ${id} already exists`);
    }
    if (input.key !== undefined && (await store.apps.findAppByKey(key))) {
      throw new MawjlyError('conflict', 'An app with this key already exists');
    }
    const app = await store.apps.createApp({
      id,
      accountId: account.id,
      name: input.name === undefined ? `app-${id}` : checkName(input.name),
      key,
      secret: input.secret ?? generateAppSecret(),
      previousSecret: null,
      previousSecretValidUntil: null,
      settings,
    });
    await this.#ctx.directory.changed(app.id);
    await this.#ctx.audit.record(account.id, actor, 'app.created', `app:${app.id}`, {
      name: app.name,
      key: app.key,
    });
    this.#ctx.logger.info({ appId: app.id, accountId: account.id }, 'app created');
    return app;
  }

  list(accountId?: string): Promise<AppRecord[]> {
    return this.#ctx.store.apps.listApps(accountId);
  }

  /** An app of `accountId` (404 for an unknown app or one of another account). */
  async get(accountId: string | undefined, id: string): Promise<AppRecord> {
    const app = /^\d{1,20}$/.test(id) ? await this.#ctx.store.apps.findApp(id) : undefined;
    if (!app || (accountId !== undefined && app.accountId !== accountId)) {
      throw new MawjlyError('not_found', `Unknown app ${id.slice(0, 40)}`);
    }
    return app;
  }

  async update(
    account: AccountRecord,
    id: string,
    patch: { name?: string; settings?: AppSettingsPatch },
    actor: Actor,
  ): Promise<AppRecord> {
    const app = await this.get(account.id, id);
    const changes: { name?: string; settings?: StoredAppSettings } = {};
    if (patch.name !== undefined) changes.name = checkName(patch.name);
    if (patch.settings !== undefined) {
      changes.settings = this.#checkSettings(
        applySettingsPatch(app.settings, patch.settings),
        account,
        app.settings,
      );
    }
    if (changes.name === undefined && changes.settings === undefined) return app;
    const updated = await this.#ctx.store.apps.updateApp(app.id, changes);
    await this.#ctx.directory.changed(app.id);
    await this.#ctx.audit.record(account.id, actor, 'app.updated', `app:${app.id}`, {
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(patch.settings !== undefined ? { settings: patch.settings } : {}),
    });
    return updated;
  }

  async delete(accountId: string, id: string, actor: Actor): Promise<void> {
    const app = await this.get(accountId, id);
    await this.#ctx.store.apps.deleteApp(app.id);
    await this.#ctx.directory.changed(app.id);
    await this.#ctx.audit.record(accountId, actor, 'app.deleted', `app:${app.id}`, { name: app.name });
    this.#ctx.logger.info({ appId: app.id, accountId }, 'app deleted');
  }

  /** The secret in clear, audited. */
  async revealSecret(accountId: string, id: string, actor: Actor): Promise<string> {
    const app = await this.get(accountId, id);
    await this.#ctx.audit.record(accountId, actor, 'app.secret_revealed', `app:${app.id}`);
    return app.secret;
  }

  /** A new secret; the previous one keeps verifying for `graceSeconds` (0: not at all). */
  async rotateSecret(
    accountId: string | undefined,
    id: string,
    graceSeconds: number,
    actor: Actor,
  ): Promise<{ app: AppRecord; secret: string; previousValidUntil: number | null }> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
      throw new MawjlyError(
        'validation_failed',
        `grace_period_seconds: an integer from 0 to ${MAX_GRACE_SECONDS}`,
      );
    }
    const app = await this.get(accountId, id);
    const secret = generateAppSecret();
    const previousValidUntil = graceSeconds > 0 ? this.#ctx.clock.now() + graceSeconds * 1000 : null;
    const updated = await this.#ctx.store.apps.updateApp(app.id, {
      secret,
      previousSecret: previousValidUntil === null ? null : app.secret,
      previousSecretValidUntil: previousValidUntil,
    });
    await this.#ctx.directory.changed(app.id);
    await this.#ctx.audit.record(app.accountId, actor, 'app.secret_rotated', `app:${app.id}`, {
      grace_period_seconds: graceSeconds,
    });
    this.#ctx.logger.info({ appId: app.id, graceSeconds }, 'app secret rotated');
    return { app: updated, secret, previousValidUntil };
  }

  /** Used by the apps file: sets fixed credentials and settings on an existing app. */
  async overwrite(
    app: AppRecord,
    values: { accountId: string; name: string; key: string; secret: string; settings: StoredAppSettings },
    actor: Actor,
  ): Promise<AppRecord> {
    if (values.key !== app.key) {
      const other = await this.#ctx.store.apps.findAppByKey(values.key);
      if (other && other.id !== app.id)
        throw new MawjlyError('conflict', `App key already used by app ${other.id}`);
    }
    const secretChanged = values.secret !== app.secret;
    const updated = await this.#ctx.store.apps.updateApp(app.id, {
      ...values,
      ...(secretChanged ? { previousSecret: null, previousSecretValidUntil: null } : {}),
    });
    await this.#ctx.directory.changed(app.id);
    await this.#ctx.audit.record(values.accountId, actor, 'app.updated', `app:${app.id}`, {
      source: 'apps_file',
      secret_changed: secretChanged,
    });
    return updated;
  }

  #checkSettings(
    settings: StoredAppSettings,
    account: AccountRecord,
    before?: StoredAppSettings,
  ): StoredAppSettings {
    const plan = this.#ctx.plans[account.plan];
    if (settings.client_events && !plan.clientEvents && before?.client_events !== true) {
      throw new MawjlyError(
        'plan_feature_unavailable',
        `Client events are not available on the ${account.plan} plan; upgrade to Startup or above`,
      );
    }
    // Checked when the setting changes only: after a downgrade the engine clamps what is stored.
    if (JSON.stringify(settings.history ?? null) !== JSON.stringify(before?.history ?? null)) {
      checkHistorySetting(settings.history, plan);
    }
    return settings;
  }

  async #uniqueId(): Promise<string> {
    for (let i = 0; i < 20; i++) {
      const id = generateAppId();
      if (!(await this.#ctx.store.apps.findApp(id))) return id;
    }
    throw new MawjlyError('internal', 'Could not allocate a unique app id');
  }

  async #uniqueKey(): Promise<string> {
    for (let i = 0; i < 20; i++) {
      const key = generateAppKey();
      if (!(await this.#ctx.store.apps.findAppByKey(key))) return key;
    }
    throw new MawjlyError('internal', 'Could not allocate a unique app key');
  }
}
