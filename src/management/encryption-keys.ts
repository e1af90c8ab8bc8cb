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
  readonly history: readonly EncryptionKeyRecord[];
}

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

  async rotate(
    account: AccountRecord,
    app: AppRecord,
    confirm: boolean,
    actor: Actor,
  ): Promise<IssuedEncryptionKey & { previousFingerprint: string }> {
    if (!confirm) throw new MawjlyError('confirmation_required');
    await this.#requirePlan(account, app, actor);
    const previous = await this.#ctx.store.encryptionKeys.findActiveEncryptionKey(app.id);
    if (!previous)
      throw new MawjlyError('no_key', 'This app has no active encryption master key; generate one first');
    const issued = await this.#issue(app, actor);
    await this.#ctx.audit.record(account.id, actor, 'encryption_key.rotated', `app:${app.id}`, {
      fingerprint: issued.record.fingerprint,
      version: issued.record.version,
      previous_fingerprint: previous.fingerprint,
      previous_version: previous.version,
    });
    return { ...issued, previousFingerprint: previous.fingerprint };
  }

  async status(app: AppRecord): Promise<EncryptionKeyStatus> {
    const history = await this.#ctx.store.encryptionKeys.listEncryptionKeys(app.id);
    return { active: history.find((k) => k.retiredAt === null), history };
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

  async #issue(app: AppRecord, actor: Actor): Promise<IssuedEncryptionKey> {
    const history = await this.#ctx.store.encryptionKeys.listEncryptionKeys(app.id);
    const version = history.reduce((max, k) => Math.max(max, k.version), 0) + 1;
    const { keyBase64, fingerprint } = generateEncryptionKey();
    const record = await this.#ctx.store.encryptionKeys.insertEncryptionKey({
      appId: app.id,
      version,
      fingerprint,
      createdAt: this.#ctx.clock.now(),
      createdBy: actor,
    });
    this.#ctx.logger.info({ appId: app.id, version, fingerprint }, 'encryption master key issued');
    return { keyBase64, record };
  }
}
