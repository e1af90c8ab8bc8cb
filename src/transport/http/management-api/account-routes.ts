// `/account`, `/plans`, `/usage`, `/audit-log`.
import { z } from 'zod';
import { PLAN_NAMES } from '../../../core/app.js';
import { planToJson } from '../../../management/plans.js';
import { utcDay } from '../../../management/store-usage-meter.js';
import { validate } from '../../../management/validation.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { accountJson, auditJson } from '../../../management/json-views.js';
import { route, type Route } from './route.js';

const accountPatchSchema = z.strictObject({
  plan: z.enum(PLAN_NAMES as ['free', 'startup', 'pro', 'business']),
});

function usageWarning(kind: string, used: number, limit: number | null): Record<string, unknown>[] {
  if (limit === null || limit === 0 || used < limit * 0.8) return [];
  return [{ quota: kind, used, limit, percent: Math.floor((used / limit) * 100) }];
}

export const accountRoutes: readonly Route[] = [
  route('GET', '/account', 'account:read', ({ management, principal }) => {
    const { account } = principal;
    return Promise.resolve({ status: 200, body: accountJson(account, management.plans[account.plan]) });
  }),

  // A plan is a billing decision: the operator's (`mawjly accounts set-plan`), never the account's own.
  route('PATCH', '/account', 'account:write', async ({ body }) => {
    validate(accountPatchSchema, await body());
    throw new MawjlyError(
      'operator_only',
      'Plan changes are made by the operator: mawjly accounts set-plan <account name> <plan>',
    );
  }),

  route('GET', '/plans', 'account:read', ({ management }) =>
    Promise.resolve({
      status: 200,
      body: { plans: PLAN_NAMES.map((name) => planToJson(management.plans[name])) },
    }),
  ),

  route('GET', '/usage', 'account:read', ({ management, principal }) => {
    const { account } = principal;
    const plan = management.plans[account.plan];
    const messages = management.usage.messagesToday(account.id);
    const connections = management.realtime()?.accountConnectionCount(account.id) ?? 0;
    return Promise.resolve({
      status: 200,
      body: {
        day: utcDay(management.clock.now()),
        messages,
        message_quota: plan.maxMessagesPerDay,
        connections,
        connection_quota: plan.maxConnections,
        warnings: [
          ...usageWarning('messages_per_day', messages, plan.maxMessagesPerDay),
          ...usageWarning('connections', connections, plan.maxConnections),
        ],
      },
    });
  }),

  route('GET', '/audit-log', 'account:read', async ({ management, principal, query }) => {
    const limitText = query.get('limit');
    const limit = limitText === null ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new MawjlyError('validation_failed', 'limit: an integer from 1 to 500');
    }
    const before = query.get('before') ?? undefined;
    const entries = await management.audit.list(principal.account.id, {
      limit,
      ...(before !== undefined ? { before } : {}),
    });
    return { status: 200, body: { entries: entries.map(auditJson) } };
  }),
];
