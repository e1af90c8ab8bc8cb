// Accounts (customers) and their plans. A plan change reaches every app of the account at once.
import type { PlanLimits, PlanName } from '../core/app.js';
import { MawjlyError } from '../protocol/errors.js';
import type { Actor } from './audit.js';
import type { ManagementContext } from './management-context.js';
import { isPlanName } from './plans.js';
import type { AccountRecord } from './store.js';

const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$/;

export function parsePlanName(value: string): PlanName {
  const lower = value.toLowerCase();
  if (!isPlanName(lower)) {
    throw new MawjlyError(
      'validation_failed',
      `Unknown plan '${value}': expected free, startup, pro or business`,
    );
  }
  return lower;
}

export class AccountService {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  async create(input: { name: string; plan?: PlanName }, actor: Actor): Promise<AccountRecord> {
    const name = input.name.trim();
    if (!ACCOUNT_NAME.test(name)) {
      throw new MawjlyError(
        'validation_failed',
        'Account name: 1 to 100 characters, letters, digits, space, ".", "_", "@" or "-", starting with a letter or digit',
      );
    }
    if (await this.#ctx.store.accounts.findAccountByName(name)) {
      throw new MawjlyError('conflict', `An account named '${name}' already exists`);
    }
    const account = await this.#ctx.store.accounts.createAccount({ name, plan: input.plan ?? 'free' });
    await this.#ctx.audit.record(account.id, actor, 'account.created', `account:${account.id}`, {
      name: account.name,
      plan: account.plan,
    });
    this.#ctx.logger.info({ accountId: account.id, plan: account.plan }, 'account created');
    return account;
  }

  list(): Promise<AccountRecord[]> {
    return this.#ctx.store.accounts.listAccounts();
  }

  async get(id: string): Promise<AccountRecord> {
    const account = await this.#ctx.store.accounts.findAccount(id);
    if (!account) throw new MawjlyError('not_found', 'Unknown account');
    return account;
  }

  async getByName(name: string): Promise<AccountRecord> {
    const account = await this.#ctx.store.accounts.findAccountByName(name);
    if (!account) throw new MawjlyError('not_found', `Unknown account '${name}'`);
    return account;
  }

  limits(account: AccountRecord): PlanLimits {
    return this.#ctx.plans[account.plan];
  }

  async setPlan(id: string, plan: PlanName, actor: Actor): Promise<AccountRecord> {
    const before = await this.get(id);
    if (before.plan === plan) return before;
    const account = await this.#ctx.store.accounts.setAccountPlan(id, plan);
    await this.#ctx.directory.accountChanged(id);
    await this.#ctx.audit.record(id, actor, 'account.plan_changed', `account:${id}`, {
      from: before.plan,
      to: plan,
    });
    this.#ctx.logger.info({ accountId: id, from: before.plan, to: plan }, 'account plan changed');
    return account;
  }
}
