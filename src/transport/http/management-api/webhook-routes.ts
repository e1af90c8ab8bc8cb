// `/apps/{id}/webhooks`: endpoints (list, create, read, patch, delete), a test send, the delivery
// log and manual retries (docs/management-api.md "Webhooks", docs/webhooks.md).
import type { WebhookDeliveryRecord, WebhookDeliveryState } from '../../../core/ports/webhook-store.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { iso, webhookJson } from '../../../management/json-views.js';
import { route, type Route } from './route.js';

const STATES: readonly WebhookDeliveryState[] = ['pending', 'retrying', 'delivered', 'dead'];

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export function deliveryJson(d: WebhookDeliveryRecord): Record<string, unknown> {
  return {
    id: d.id,
    webhook_id: d.endpointId,
    created_at: iso(d.createdAt),
    events: d.eventNames,
    channels: d.channels,
    state: d.state,
    attempts: d.attempts,
    last_status: d.lastStatus,
    last_error: d.lastError,
    latency_ms: d.latencyMs,
    last_attempt_at: isoOrNull(d.lastAttemptAt),
    next_attempt_at: d.state === 'pending' || d.state === 'retrying' ? isoOrNull(d.nextAttemptAt) : null,
    delivered_at: isoOrNull(d.deliveredAt),
    retry_until: iso(d.deadlineAt),
    body: d.body,
  };
}

export const webhookRoutes: readonly Route[] = [
  route('GET', '/apps/:id/webhooks', 'apps:read', async ({ management, principal, params }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    const [endpoints, counts] = await Promise.all([
      management.webhooks.list(app),
      management.webhooks.counts(app),
    ]);
    return { status: 200, body: { webhooks: endpoints.map((e) => webhookJson(e, counts.get(e.id))) } };
  }),

  route('POST', '/apps/:id/webhooks', 'apps:write', async ({ management, principal, params, body }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    const endpoint = await management.webhooks.create(principal.account, app, await body(), principal.actor);
    return { status: 201, body: webhookJson(endpoint) };
  }),

  route('GET', '/apps/:id/webhooks/:wid', 'apps:read', async ({ management, principal, params }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    const endpoint = await management.webhooks.get(app, params.wid ?? '');
    const counts = await management.webhooks.counts(app);
    return { status: 200, body: webhookJson(endpoint, counts.get(endpoint.id)) };
  }),

  route('PATCH', '/apps/:id/webhooks/:wid', 'apps:write', async ({ management, principal, params, body }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    const endpoint = await management.webhooks.update(
      principal.account,
      app,
      params.wid ?? '',
      await body(),
      principal.actor,
    );
    const counts = await management.webhooks.counts(app);
    return { status: 200, body: webhookJson(endpoint, counts.get(endpoint.id)) };
  }),

  route('DELETE', '/apps/:id/webhooks/:wid', 'apps:write', async ({ management, principal, params }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    await management.webhooks.delete(principal.account, app, params.wid ?? '', principal.actor);
    return { status: 204 };
  }),

  route('POST', '/apps/:id/webhooks/:wid/test', 'apps:write', async ({ management, principal, params }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    const result = await management.webhooks.test(principal.account, app, params.wid ?? '', principal.actor);
    return {
      status: 200,
      body: {
        ok: result.ok,
        status: result.status,
        latency_ms: result.latencyMs,
        error: result.error,
        body: result.body,
      },
    };
  }),

  route(
    'GET',
    '/apps/:id/webhooks/:wid/deliveries',
    'apps:read',
    async ({ management, principal, params, query }) => {
      const app = await management.apps.get(principal.account.id, params.id ?? '');
      const limitText = query.get('limit');
      const limit = limitText === null ? 50 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
        throw new MawjlyError('validation_failed', 'limit: an integer from 1 to 200');
      }
      const state = query.get('state');
      if (state !== null && !(STATES as readonly string[]).includes(state)) {
        throw new MawjlyError('validation_failed', `state: one of ${STATES.join(', ')}`);
      }
      const before = query.get('before');
      const deliveries = await management.webhooks.deliveries(app, params.wid ?? '', {
        limit,
        ...(before === null ? {} : { before }),
        ...(state === null ? {} : { state: state as WebhookDeliveryState }),
      });
      const last = deliveries.at(-1);
      return {
        status: 200,
        body: {
          deliveries: deliveries.map(deliveryJson),
          next_before: deliveries.length === limit && last ? last.id : null,
        },
      };
    },
  ),

  route(
    'POST',
    '/apps/:id/webhooks/:wid/deliveries/:did/retry',
    'apps:write',
    async ({ management, principal, params }) => {
      const app = await management.apps.get(principal.account.id, params.id ?? '');
      const delivery = await management.webhooks.retry(
        principal.account,
        app,
        params.wid ?? '',
        params.did ?? '',
        principal.actor,
      );
      return { status: 202, body: deliveryJson(delivery) };
    },
  ),
];
