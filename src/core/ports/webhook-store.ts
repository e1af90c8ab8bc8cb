// The webhook half of persistence: endpoint configuration, the durable queue of decided events, the
// per-endpoint delivery leases that keep a cluster from sending twice, and the delivery log. SQLite
// and PostgreSQL implement it (src/storage), both passing one contract suite; the webhook worker
// (src/webhooks) and the management layer use it. Times are epoch milliseconds.

export const WEBHOOK_EVENT_TYPES = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEndpointRecord {
  readonly id: string;
  readonly appId: string;
  readonly url: string;
  readonly eventTypes: readonly WebhookEventType[];
  /** Only channels whose name starts with this prefix; null: every channel. */
  readonly channelPrefix: string | null;
  /** Extra request headers sent with every delivery. */
  readonly headers: Readonly<Record<string, string>>;
  readonly enabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type WebhookEndpointPatch = Partial<
  Pick<WebhookEndpointRecord, 'url' | 'eventTypes' | 'channelPrefix' | 'headers' | 'enabled'>
>;

/** A decided event on its way into the queue. */
export interface NewWebhookEvent {
  readonly appId: string;
  readonly name: WebhookEventType;
  readonly channel: string;
  readonly userId: string | null;
  /** The event object exactly as it goes into the body's `events` array (JSON text). */
  readonly payload: string;
  /** Endpoints that receive it (chosen by the caller from their event types and channel filters). */
  readonly endpointIds: readonly string[];
  /**
   * When set, the event is held until then (`channel_vacated`, `member_removed`) and cancelled by a
   * later `channel_occupied` of the channel / `member_added` of the user before that.
   */
  readonly holdUntil?: number;
  /** Events with the same key are written once (several nodes deciding the same fact). */
  readonly dedupeKey?: string;
}

/** An event in an endpoint's queue, in decision order (`seq`). */
export interface QueuedWebhookEvent {
  readonly seq: number;
  readonly endpointId: string;
  readonly channel: string;
  readonly name: WebhookEventType;
  readonly payload: string;
  readonly queuedAt: number;
}

export type WebhookDeliveryState = 'pending' | 'retrying' | 'delivered' | 'dead';

export interface WebhookDeliveryRecord {
  /** Stable across retries: sent as `X-Mawjly-Delivery-Id`. */
  readonly id: string;
  readonly endpointId: string;
  readonly appId: string;
  /** Order of the batch among the endpoint's batches (its first event's queue seq). */
  readonly seq: number;
  /** The exact request body; every attempt sends these bytes. */
  readonly body: string;
  readonly eventNames: readonly WebhookEventType[];
  readonly channels: readonly string[];
  readonly state: WebhookDeliveryState;
  readonly attempts: number;
  readonly createdAt: number;
  /** When the next attempt is due (pending, retrying); null otherwise. */
  readonly nextAttemptAt: number | null;
  /** Retries stop (dead letter) after this time. */
  readonly deadlineAt: number;
  readonly lastAttemptAt: number | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly latencyMs: number | null;
  readonly deliveredAt: number | null;
}

export interface NewWebhookDelivery {
  readonly id: string;
  readonly body: string;
  readonly deadlineAt: number;
}

export interface WebhookAttemptResult {
  readonly state: WebhookDeliveryState;
  readonly at: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly latencyMs: number | null;
  readonly nextAttemptAt: number | null;
}

export interface WebhookDeliveryCounts {
  readonly pending: number;
  readonly retrying: number;
  readonly dead: number;
}

export interface WebhookStore {
  createEndpoint(
    input: Omit<WebhookEndpointRecord, 'createdAt' | 'updatedAt'>,
  ): Promise<WebhookEndpointRecord>;
  findEndpoint(id: string): Promise<WebhookEndpointRecord | undefined>;
  /** An app's endpoints, oldest first; without an app id, every endpoint. */
  listEndpoints(appId?: string): Promise<WebhookEndpointRecord[]>;
  updateEndpoint(id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointRecord>;
  /** Also drops its queue, deliveries and lease. */
  deleteEndpoint(id: string): Promise<void>;

  /**
   * Writes decided events, in order, in one transaction. A `channel_occupied` that finds a held
   * `channel_vacated` of its channel (or a `member_added` a held `member_removed` of its user)
   * cancels it and is itself dropped: the channel never looked empty from outside.
   */
  enqueue(events: readonly NewWebhookEvent[], now: number): Promise<void>;
  /** Moves held events whose time has come into their endpoints' queues; returns how many. */
  releaseHeld(now: number, limit: number): Promise<number>;
  /** Endpoints (enabled ones) with queued events or pending/retrying deliveries. */
  endpointsWithWork(): Promise<string[]>;

  /**
   * Takes the endpoint's lease for `owner` until `expiresAt` when it is free, expired or already
   * `owner`'s. True when `owner` holds it now.
   */
  acquireLease(endpointId: string, owner: string, now: number, expiresAt: number): Promise<boolean>;
  /** Extends every lease `owner` holds; returns the endpoints it still holds. */
  renewLeases(owner: string, expiresAt: number): Promise<string[]>;
  releaseLease(endpointId: string, owner: string): Promise<void>;

  /** The endpoint's queued events, oldest first (at most `limit`). */
  peekQueue(endpointId: string, limit: number): Promise<QueuedWebhookEvent[]>;
  /**
   * Turns these queued events (from `peekQueue`, in order) into one delivery, atomically. Returns
   * undefined, changing nothing, when any of them is no longer queued.
   */
  createDelivery(
    endpointId: string,
    events: readonly QueuedWebhookEvent[],
    delivery: NewWebhookDelivery,
    now: number,
  ): Promise<WebhookDeliveryRecord | undefined>;
  /** Pending and retrying deliveries of an endpoint in batch order (at most `limit`). */
  openDeliveries(endpointId: string, limit: number): Promise<WebhookDeliveryRecord[]>;
  /** Records an attempt; `attempts` grows by one. */
  recordAttempt(id: string, result: WebhookAttemptResult): Promise<void>;
  findDelivery(id: string): Promise<WebhookDeliveryRecord | undefined>;
  /** Newest first; `before` is a delivery id for paging. */
  listDeliveries(
    endpointId: string,
    options?: { limit?: number; before?: string; state?: WebhookDeliveryState },
  ): Promise<WebhookDeliveryRecord[]>;
  /** Queues a delivery again (failed or dead-lettered): due at `now`, a new deadline. */
  retryDelivery(id: string, now: number, deadlineAt: number): Promise<WebhookDeliveryRecord>;
  /** Pending, retrying and dead deliveries per endpoint of an app. */
  deliveryCounts(appId: string): Promise<Map<string, WebhookDeliveryCounts>>;
  /** Deletes delivered and dead deliveries created before `deliveriesBefore`, and older dedupe keys. */
  prune(deliveriesBefore: number, dedupeBefore: number): Promise<void>;
}

/** What a test send (`POST …/webhooks/{id}/test`) reports. */
export interface WebhookTestResult {
  /** The receiver answered 2xx. */
  readonly ok: boolean;
  /** The receiver's HTTP status; null when there was no answer. */
  readonly status: number | null;
  readonly latencyMs: number;
  /** Why it failed (timeout, refused target, connection error, non-2xx); null on success. */
  readonly error: string | null;
  /** The exact body sent. */
  readonly body: string;
}

/** What the management layer needs from the webhook worker of this process. */
export interface WebhookOperations {
  /** How long a delivery queued again by hand keeps being retried. */
  readonly retryWindowMs: number;
  /** Why this URL cannot be a webhook target (scheme, literal forbidden address), or undefined. */
  refuseTarget(url: URL): string | undefined;
  /** Sends a signed sample batch to the endpoint at once (not queued, not logged). */
  sendTest(
    app: { readonly id: string; readonly key: string; readonly secrets: readonly string[] },
    endpoint: WebhookEndpointRecord,
  ): Promise<WebhookTestResult>;
  /** Looks for work now (a delivery was queued again). */
  wake(): void;
  /** An app's endpoints changed through this process: use the new configuration from now on. */
  endpointsChanged(appId: string): Promise<void>;
}
