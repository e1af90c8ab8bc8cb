// The encryption master key lifecycle of an app (PRODUCT.md "Encrypted channels" point 7): the key
// is generated here, returned once to the caller and dropped; only its fingerprint, version, author
// and dates are stored. Plans without encrypted channels are refused (and the refusal audited).
import { MawjlyError } from '../protocol/errors.js';
import type { Actor } from './audit.js';
import { generateEncryptionKey } from './encryption-key.js';
import type { ManagementContext } from './management-context.js';
import type { AccountRecord, AppRecord, EncryptionKeyRecord } from './store.js';

export interface IssuedEncryptionKey {
  /** The key itself: give it to the caller once, never store or log it. */
  readonly keyBase64: string;
  readonly record: EncryptionKeyRecord;
}

export interface EncryptionKeyStatus {
  readonly active: EncryptionKeyRecord | undefined;
  /** The key a rotation replaced, while its window is open (`previousUntil` in the future). */
  readonly previous: EncryptionKeyRecord | undefined;
  readonly history: readonly EncryptionKeyRecord[];
}

/** The longest rotation window: 30 days. */
export const MAX_ROTATION_WINDOW_SECONDS = 30 * 86_400;

export class EncryptionKeyService {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  async generate(account: AccountRecord, app: AppRecord, actor: Actor): Promise<IssuedEncryptionKey> {
    await this.#requirePlan(account, app, actor);
    if (await this.#ctx.store.encryptionKeys.findActiveEncryptionKey(app.id))
      throw new MawjlyError('key_exists');
    const issued = await this.#issue(app, actor);
    await this.#ctx.audit.record(account.id, actor, 'encryption_key.generated', `app:${app.id}`, {
      fingerprint: issued.record.fingerprint,
      version: issued.record.version,
    });
    return issued;
  }

  /**
   * A new key version. With `windowSeconds` > 0 the replaced key's fingerprint stays "previous"
   * until then (publishers and auth endpoints carry both keys meanwhile), and a second rotation is
   * refused until the window is finished or over.
   */
  async rotate(
    account: AccountRecord,
    app: AppRecord,
    confirm: boolean,
    actor: Actor,
    windowSeconds = 0,
  ): Promise<IssuedEncryptionKey & { previous: EncryptionKeyRecord }> {
    if (!confirm) throw new MawjlyError('confirmation_required');
    if (!Number.isInteger(windowSeconds) || windowSeconds < 0 || windowSeconds > MAX_ROTATION_WINDOW_SECONDS)
      throw new MawjlyError(
        'validation_failed',
        `window_seconds: an integer from 0 to ${MAX_ROTATION_WINDOW_SECONDS}`,
      );
    await this.#requirePlan(account, app, actor);
    const { active, previous: open } = await this.status(app);
    if (!active)
      throw new MawjlyError('no_key', 'This app has no active encryption master key; generate one first');
    if (open) throw new MawjlyError('rotation_in_progress');
    const previousUntil = windowSeconds > 0 ? this.#ctx.clock.now() + windowSeconds * 1000 : undefined;
    const issued = await this.#issue(app, actor, previousUntil);
    await this.#ctx.audit.record(account.id, actor, 'encryption_key.rotated', `app:${app.id}`, {
      fingerprint: issued.record.fingerprint,
      version: issued.record.version,
      previous_fingerprint: active.fingerprint,
      previous_version: active.version,
      window_seconds: windowSeconds,
      ...(previousUntil !== undefined ? { previous_until: new Date(previousUntil).toISOString() } : {}),
    });
    return { ...issued, previous: { ...active, previousUntil: previousUntil ?? null } };
  }

  /** Ends the rotation window now: the previous key is no longer expected anywhere. */
  async finishRotation(account: AccountRecord, app: AppRecord, actor: Actor): Promise<EncryptionKeyRecord> {
    const { active, previous } = await this.status(app);
    if (!active || !previous) throw new MawjlyError('no_rotation_window');
    const now = this.#ctx.clock.now();
    await this.#ctx.store.encryptionKeys.endEncryptionKeyWindow(app.id, now);
    await this.#ctx.audit.record(account.id, actor, 'encryption_key.rotation_finished', `app:${app.id}`, {
      fingerprint: active.fingerprint,
      version: active.version,
      previous_fingerprint: previous.fingerprint,
      previous_version: previous.version,
      planned_until: previous.previousUntil === null ? null : new Date(previous.previousUntil).toISOString(),
    });
    return { ...previous, previousUntil: now };
  }

  async status(app: AppRecord): Promise<EncryptionKeyStatus> {
    const history = await this.#ctx.store.encryptionKeys.listEncryptionKeys(app.id);
    const now = this.#ctx.clock.now();
    const active = history.find((k) => k.retiredAt === null);
    const previous = active
      ? history.find((k) => k.retiredAt !== null && k.previousUntil !== null && k.previousUntil > now)
      : undefined;
    return { active, previous, history };
  }

  async retire(account: AccountRecord, app: AppRecord, actor: Actor): Promise<void> {
    const active = await this.#ctx.store.encryptionKeys.findActiveEncryptionKey(app.id);
    if (!active) throw new MawjlyError('no_key');
    await this.#ctx.store.encryptionKeys.retireEncryptionKey(app.id, this.#ctx.clock.now());
    await this.#ctx.audit.record(account.id, actor, 'encryption_key.retired', `app:${app.id}`, {
      fingerprint: active.fingerprint,
      version: active.version,
    });
  }

  async #requirePlan(account: AccountRecord, app: AppRecord, actor: Actor): Promise<void> {
    if (this.#ctx.plans[account.plan].encryptedChannels) return;
    await this.#ctx.audit.record(account.id, actor, 'encryption_key.generate_denied', `app:${app.id}`, {
      plan: account.plan,
    });
    throw new MawjlyError(
      'plan_feature_unavailable',
      `Encrypted channels are not available on the ${account.plan} plan; upgrade to Startup or above`,
    );
  }

  async #issue(app: AppRecord, actor: Actor, previousUntil?: number): Promise<IssuedEncryptionKey> {
    const history = await this.#ctx.store.encryptionKeys.listEncryptionKeys(app.id);
    const version = history.reduce((max, k) => Math.max(max, k.version), 0) + 1;
    const { keyBase64, fingerprint } = generateEncryptionKey();
    const record = await this.#ctx.store.encryptionKeys.insertEncryptionKey({
      appId: app.id,
      version,
      fingerprint,
      createdAt: this.#ctx.clock.now(),
      createdBy: actor,
      previousUntil,
    });
    this.#ctx.logger.info({ appId: app.id, version, fingerprint }, 'encryption master key issued');
    return { keyBase64, record };
  }
}
