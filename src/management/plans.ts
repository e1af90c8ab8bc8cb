// The plan table: core's defaults, optionally overridden by an operator file (MAWJLY_PLANS_FILE).
// The file is `{ "free": { "max_connections": null, … }, … }` with the API's snake_case names;
// omitted plans and keys keep their defaults, `null` means unlimited.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MAX_HISTORY_AGE_SECONDS, MAX_HISTORY_EVENTS } from '../protocol/limits.js';
import { DEFAULT_PLANS, PLAN_NAMES, type PlanLimits, type PlanName } from '../core/app.js';

export type PlanTable = Readonly<Record<PlanName, PlanLimits>>;

const limit = z.number().int().min(0).nullable();
const planOverrideSchema = z.strictObject({
  max_connections: limit.optional(),
  max_messages_per_day: limit.optional(),
  max_apps: limit.optional(),
  max_presence_members: limit.optional(),
  max_webhook_endpoints: limit.optional(),
  client_events: z.boolean().optional(),
  encrypted_channels: z.boolean().optional(),
  history: z
    .strictObject({
      max_events: z.number().int().min(1).max(MAX_HISTORY_EVENTS),
      max_age_seconds: z.number().int().min(1).max(MAX_HISTORY_AGE_SECONDS),
    })
    .nullable()
    .optional(),
});
const plansOverrideSchema = z.strictObject({
  free: planOverrideSchema.optional(),
  startup: planOverrideSchema.optional(),
  pro: planOverrideSchema.optional(),
  business: planOverrideSchema.optional(),
});

type PlanOverride = z.infer<typeof planOverrideSchema>;

function applyOverride(base: PlanLimits, o: PlanOverride): PlanLimits {
  return {
    name: base.name,
    maxConnections: o.max_connections === undefined ? base.maxConnections : o.max_connections,
    maxMessagesPerDay: o.max_messages_per_day === undefined ? base.maxMessagesPerDay : o.max_messages_per_day,
    maxApps: o.max_apps === undefined ? base.maxApps : o.max_apps,
    maxPresenceMembers:
      o.max_presence_members === undefined ? base.maxPresenceMembers : o.max_presence_members,
    maxWebhookEndpoints:
      o.max_webhook_endpoints === undefined ? base.maxWebhookEndpoints : o.max_webhook_endpoints,
    clientEvents: o.client_events ?? base.clientEvents,
    encryptedChannels: o.encrypted_channels ?? base.encryptedChannels,
    history:
      o.history === undefined
        ? base.history
        : o.history && { maxEvents: o.history.max_events, maxAgeSeconds: o.history.max_age_seconds },
  };
}

/** Applies an already-parsed override object to the default table. Throws a readable Error. */
export function parsePlansOverride(value: unknown, source = 'plans file'): PlanTable {
  const result = plansOverrideSchema.safeParse(value);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(
      `Invalid ${source}: expected {"free"|"startup"|"pro"|"business": {max_connections, max_messages_per_day, max_apps, max_presence_members, max_webhook_endpoints (integer or null = unlimited), client_events, encrypted_channels (boolean), history ({max_events, max_age_seconds} or null = none)}}\n${lines.join('\n')}`,
    );
  }
  const table = {} as Record<PlanName, PlanLimits>;
  for (const name of PLAN_NAMES) {
    const override = result.data[name];
    table[name] = override ? applyOverride(DEFAULT_PLANS[name], override) : DEFAULT_PLANS[name];
  }
  return table;
}

/** The default table, or the defaults overridden by `file`. Throws a readable Error naming the file. */
export function loadPlans(file?: string): PlanTable {
  if (file === undefined || file === '') return DEFAULT_PLANS;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `Cannot read plans file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Plans file ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return parsePlansOverride(json, `plans file ${file}`);
}

export function isPlanName(value: string): value is PlanName {
  return (PLAN_NAMES as readonly string[]).includes(value);
}

/** The API's view of a plan (`GET /plans`, `GET /account`). */
export function planToJson(plan: PlanLimits): Record<string, unknown> {
  return {
    name: plan.name,
    max_connections: plan.maxConnections,
    max_messages_per_day: plan.maxMessagesPerDay,
    max_apps: plan.maxApps,
    max_presence_members: plan.maxPresenceMembers,
    max_webhook_endpoints: plan.maxWebhookEndpoints,
    client_events: plan.clientEvents,
    encrypted_channels: plan.encryptedChannels,
    history: plan.history && {
      max_events: plan.history.maxEvents,
      max_age_seconds: plan.history.maxAgeSeconds,
    },
  };
}
