// Webhook endpoints of an app (docs/webhooks.md): validation, the plan's per-app cap, the delivery
// log and manual retries. Every change is audited and announced like an app change, so every node's
// webhook sink picks up the new configuration at once. Sending is the webhook worker's
// (WebhookOperations, set by the server or the CLI).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  WEBHOOK_EVENT_TYPES,
  type WebhookDeliveryCounts,
  type WebhookDeliveryRecord,
  type WebhookDeliveryState,
  type WebhookEndpointPatch,
  type WebhookEndpointRecord,
  type WebhookOperations,
  type WebhookTestResult,
} from '../core/ports/webhook-store.js';
import { MawjlyError } from '../protocol/errors.js';
import type { Actor } from './audit.js';
import type { ManagementContext } from './management-context.js';
import type { AccountRecord, AppRecord } from './store.js';
import { validate } from './validation.js';

export const MAX_WEBHOOK_HEADERS = 10;
const URL_MAX = 2048;

// Headers the server sets itself, or that would change how the request is framed or routed.
const RESERVED_HEADER =
  /^(host|content-type|content-length|transfer-encoding|connection|keep-alive|upgrade|expect|te|trailer|proxy-.*|x-pusher-.*|x-mawjly-.*)$/i;

const headersSchema = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'header names are 1 to 64 token characters')
      .refine((name) => !RESERVED_HEADER.test(name), 'this header is set by the server'),
    z
      .string()
      .max(1024)
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000-\u0008\u000a-\u001f\u007f]*$/, 'header values cannot hold control characters'),
  )
  .refine((h) => Object.keys(h).length <= MAX_WEBHOOK_HEADERS, `at most ${MAX_WEBHOOK_HEADERS} headers`);

const eventTypesSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .refine((types) => new Set(types).size === types.length, 'event types must be unique');

const fields = {
  url: z.string().trim().min(1).max(URL_MAX),
  event_types: eventTypesSchema,
  channel_prefix: z.string().min(1).max(200).nullable(),
  headers: headersSchema,
  enabled: z.boolean(),
};

export const createWebhookSchema = z.strictObject({
  url: fields.url,
  event_types: fields.event_types.optional(),
  channel_prefix: fields.channel_prefix.optional(),
  headers: fields.headers.optional(),
  enabled: fields.enabled.optional(),
});
export const patchWebhookSchema = z.strictObject({
  url: fields.url.optional(),
  event_types: fields.event_types.optional(),
  channel_prefix: fields.channel_prefix.optional(),
  headers: fields.headers.optional(),
  enabled: fields.enabled.optional(),
});
export type CreateWebhookInput = z.infer<typeof createWebhookSchema>;
export type PatchWebhookInput = z.infer<typeof patchWebhookSchema>;

/** The URL's origin and path (no query string or credentials: they may carry a receiver's token). */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export class WebhookService {
  readonly #ctx: ManagementContext;
  #ops: WebhookOperations | undefined;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** Wires the process's webhook worker (test sends, retry window, target checks). */
  setOperations(ops: WebhookOperations): void {
    this.#ops = ops;
  }

  list(app: AppRecord): Promise<WebhookEndpointRecord[]> {
    return this.#ctx.store.webhooks.listEndpoints(app.id);
  }

  /** Pending, retrying and dead-lettered deliveries per endpoint of the app. */
  counts(app: AppRecord): Promise<Map<string, WebhookDeliveryCounts>> {
    return this.#ctx.store.webhooks.deliveryCounts(app.id);
  }

  /** An endpoint of the app (404 otherwise). */
  async get(app: AppRecord, id: string): Promise<WebhookEndpointRecord> {
    const endpoint = await this.#ctx.store.webhooks.findEndpoint(id);
    if (!endpoint || endpoint.appId !== app.id) {
      throw new MawjlyError('not_found', `Unknown webhook ${id.slice(0, 40)}`);
    }
    return endpoint;
  }

  async create(
    account: AccountRecord,
    app: AppRecord,
    body: unknown,
    actor: Actor,
  ): Promise<WebhookEndpointRecord> {
    const input = validate(createWebhookSchema, body);
    const url = this.#checkUrl(input.url);
    const max = this.#ctx.plans[account.plan].maxWebhookEndpoints;
    const existing = await this.#ctx.store.webhooks.listEndpoints(app.id);
    if (max !== null && existing.length >= max) {
      throw new MawjlyError(
        'webhook_limit_reached',
        `The ${account.plan} plan allows ${max} webhook endpoint${max === 1 ? '' : 's'} per app; upgrade to add more`,
      );
    }
    const endpoint = await this.#ctx.store.webhooks.createEndpoint({
      id: `wh_${randomBytes(12).toString('hex')}`,
      appId: app.id,
      url,
      eventTypes: input.event_types ?? [...WEBHOOK_EVENT_TYPES],
      channelPrefix: input.channel_prefix ?? null,
      headers: input.headers ?? {},
      enabled: input.enabled ?? true,
    });
    await this.#changed(app.id);
    await this.#ctx.audit.record(account.id, actor, 'webhook.created', `app:${app.id}`, {
      webhook: endpoint.id,
      url: describeTarget(url),
      event_types: endpoint.eventTypes,
    });
    return endpoint;
  }

  async update(
    account: AccountRecord,
    app: AppRecord,
    id: string,
    body: unknown,
    actor: Actor,
  ): Promise<WebhookEndpointRecord> {
    const input = validate(patchWebhookSchema, body);
    const endpoint = await this.get(app, id);
    const patch: {
      -readonly [K in keyof WebhookEndpointPatch]: WebhookEndpointPatch[K];
    } = {};
    if (input.url !== undefined) patch.url = this.#checkUrl(input.url);
    if (input.event_types !== undefined) patch.eventTypes = input.event_types;
    if (input.channel_prefix !== undefined) patch.channelPrefix = input.channel_prefix;
    if (input.headers !== undefined) patch.headers = input.headers;
    if (input.enabled !== undefined) patch.enabled = input.enabled;
    if (Object.keys(patch).length === 0) return endpoint;
    const updated = await this.#ctx.store.webhooks.updateEndpoint(endpoint.id, patch);
    await this.#changed(app.id);
    await this.#ctx.audit.record(account.id, actor, 'webhook.updated', `app:${app.id}`, {
      webhook: endpoint.id,
      changed: Object.keys(input),
      ...(patch.url !== undefined ? { url: describeTarget(patch.url) } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    });
    return updated;
  }

  async delete(account: AccountRecord, app: AppRecord, id: string, actor: Actor): Promise<void> {
    const endpoint = await this.get(app, id);
    await this.#ctx.store.webhooks.deleteEndpoint(endpoint.id);
    await this.#changed(app.id);
    await this.#ctx.audit.record(account.id, actor, 'webhook.deleted', `app:${app.id}`, {
      webhook: endpoint.id,
      url: describeTarget(endpoint.url),
    });
  }

  async test(account: AccountRecord, app: AppRecord, id: string, actor: Actor): Promise<WebhookTestResult> {
    const endpoint = await this.get(app, id);
    const result = await this.#operations().sendTest(
      { id: app.id, key: app.key, secrets: [app.secret] },
      endpoint,
    );
    await this.#ctx.audit.record(account.id, actor, 'webhook.tested', `app:${app.id}`, {
      webhook: endpoint.id,
      status: result.status,
      ok: result.ok,
    });
    return result;
  }

  async deliveries(
    app: AppRecord,
    id: string,
    options: { limit?: number; before?: string; state?: WebhookDeliveryState },
  ): Promise<WebhookDeliveryRecord[]> {
    const endpoint = await this.get(app, id);
    return this.#ctx.store.webhooks.listDeliveries(endpoint.id, options);
  }

  async retry(
    account: AccountRecord,
    app: AppRecord,
    id: string,
    deliveryId: string,
    actor: Actor,
  ): Promise<WebhookDeliveryRecord> {
    const endpoint = await this.get(app, id);
    const delivery = await this.#ctx.store.webhooks.findDelivery(deliveryId);
    if (!delivery || delivery.endpointId !== endpoint.id) {
      throw new MawjlyError('not_found', `Unknown delivery ${deliveryId.slice(0, 60)}`);
    }
    const ops = this.#operations();
    const now = this.#ctx.clock.now();
    const retried = await this.#ctx.store.webhooks.retryDelivery(delivery.id, now, now + ops.retryWindowMs);
    ops.wake();
    await this.#ctx.audit.record(account.id, actor, 'webhook.delivery_retried', `app:${app.id}`, {
      webhook: endpoint.id,
      delivery: delivery.id,
      previous_state: delivery.state,
    });
    return retried;
  }

  #operations(): WebhookOperations {
    if (!this.#ops) throw new MawjlyError('realtime_unavailable', 'Webhook sending is not available here');
    return this.#ops;
  }

  #checkUrl(text: string): string {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new MawjlyError('validation_failed', 'url: not a valid absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new MawjlyError('validation_failed', 'url: only http:// and https:// URLs');
    }
    if (url.username !== '' || url.password !== '') {
      throw new MawjlyError('validation_failed', 'url: credentials in the URL are not allowed; use headers');
    }
    url.hash = '';
    const problem = this.#ops?.refuseTarget(url);
    if (problem !== undefined) throw new MawjlyError('webhook_target_forbidden', `url: ${problem}`);
    return url.toString();
  }

  async #changed(appId: string): Promise<void> {
    // Reloading the app tells this node's listeners and every other node (cluster bus) at once.
    await this.#ctx.directory.changed(appId);
    await this.#ops?.endpointsChanged(appId);
    this.#ops?.wake();
  }
}
