// MAWJLY_APPS_FILE: a JSON array of apps with fixed credentials, upserted at start (self-hosting and
// tests). Each entry's account (default `app-<id>`) is created with the entry's plan if missing, and
// set to that plan if it exists.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PLAN_NAMES, type PlanName } from '../core/app.js';
import type { AccountService } from './accounts.js';
import { applySettingsPatch, appSettingsPatchSchema, type AppSettingsPatch } from './app-settings.js';
import type { AppService } from './apps.js';

const entrySchema = z.strictObject({
  id: z
    .union([z.string(), z.number().int().nonnegative()])
    .transform(String)
    .pipe(z.string().regex(/^\d{1,20}$/, 'expected a numeric app id, e.g. "6855671"')),
  key: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'expected 1 to 100 characters of A-Z a-z 0-9 _ -'),
  secret: z.string().regex(/^[\x21-\x7e]{8,256}$/, 'expected 8 to 256 printable characters without spaces'),
  plan: z.enum(PLAN_NAMES as [PlanName, ...PlanName[]]),
  account: z.string().trim().min(1).max(100).optional(),
  name: z.string().trim().min(1).max(100).optional(),
  settings: appSettingsPatchSchema.optional(),
});

export interface AppsFileEntry {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
  readonly plan: PlanName;
  readonly account: string;
  readonly name: string;
  readonly settings: AppSettingsPatch;
}

/** Validates the parsed JSON of an apps file; errors name the entry index and field. */
export function parseAppsFile(json: unknown, source = 'apps file'): AppsFileEntry[] {
  if (!Array.isArray(json)) {
    throw new Error(
      `Invalid ${source}: expected a JSON array of {"id","key","secret","plan","account"?,"name"?,"settings"?}`,
    );
  }
  const problems: string[] = [];
  const entries: AppsFileEntry[] = [];
  const indexes: number[] = [];
  json.forEach((raw: unknown, index) => {
    const result = entrySchema.safeParse(raw);
    if (!result.success) {
      for (const issue of result.error.issues) {
        problems.push(
          `  entry ${index}${issue.path.length > 0 ? `.${issue.path.join('.')}` : ''}: ${issue.message}`,
        );
      }
      return;
    }
    const e = result.data;
    indexes.push(index);
    entries.push({
      id: e.id,
      key: e.key,
      secret: e.secret,
      plan: e.plan,
      account: e.account ?? `app-${e.id}`,
      name: e.name ?? `app-${e.id}`,
      settings: e.settings ?? {},
    });
  });
  const ids = new Set<string>();
  const keys = new Set<string>();
  entries.forEach((e, i) => {
    const index = indexes[i] ?? i;
    if (ids.has(e.id)) problems.push(`  entry ${index}.id: duplicate app id ${e.id}`);
    if (keys.has(e.key)) problems.push(`  entry ${index}.key: duplicate app key`);
    ids.add(e.id);
    keys.add(e.key);
  });
  if (problems.length > 0) throw new Error(`Invalid ${source}:\n${problems.join('\n')}`);
  return entries;
}

export function readAppsFile(file: string): AppsFileEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `Cannot read apps file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Apps file ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return parseAppsFile(json, `apps file ${file}`);
}

/** Upserts every entry (accounts first). Returns the ids of the apps written. */
export async function seedApps(
  entries: readonly AppsFileEntry[],
  services: { accounts: AccountService; apps: AppService },
): Promise<string[]> {
  const actor = 'system';
  const written: string[] = [];
  for (const entry of entries) {
    let account = await services.accounts.getByName(entry.account).catch(() => undefined);
    if (!account) account = await services.accounts.create({ name: entry.account, plan: entry.plan }, actor);
    else if (account.plan !== entry.plan)
      account = await services.accounts.setPlan(account.id, entry.plan, actor);
    const existing = await services.apps.get(undefined, entry.id).catch(() => undefined);
    if (existing) {
      const settings = applySettingsPatch(existing.settings, entry.settings);
      const unchanged =
        existing.accountId === account.id &&
        existing.name === entry.name &&
        existing.key === entry.key &&
        existing.secret === entry.secret &&
        JSON.stringify(existing.settings) === JSON.stringify(settings);
      if (!unchanged) {
        await services.apps.overwrite(
          existing,
          { accountId: account.id, name: entry.name, key: entry.key, secret: entry.secret, settings },
          actor,
        );
      }
    } else {
      await services.apps.create(
        account,
        {
          id: entry.id,
          key: entry.key,
          secret: entry.secret,
          name: entry.name,
          settings: entry.settings,
          operator: true,
        },
        actor,
      );
    }
    written.push(entry.id);
  }
  return written;
}
