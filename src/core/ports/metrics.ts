/**
 * Counters the engine reports. Calls are per event or per connection, never per subscriber: a
 * fan-out reports its delivery count and bytes once.
 */
export interface Metrics {
  connectionOpened(appId: string): void;
  connectionClosed(appId: string): void;
  messageIn(appId: string, bytes: number): void;
  messagesOut(appId: string, count: number, bytes: number): void;
  httpCall(route: string, status: number): void;
  /** A REST API request of an app passed authentication (the usage history counts them). */
  apiCall?(appId: string): void;
  /**
   * A client reported events it could not decrypt (`mawjly:decryption_failures`); `newClient` is
   * true the first time a connection reports within an hour.
   */
  decryptionFailures?(appId: string, failures: number, newClient: boolean): void;
  publishRejected(reason: string): void;
}

export const noopMetrics: Metrics = {
  connectionOpened: () => undefined,
  connectionClosed: () => undefined,
  messageIn: () => undefined,
  messagesOut: () => undefined,
  httpCall: () => undefined,
  publishRejected: () => undefined,
};

/** What the webhook worker reports (per app, like the engine's counters). */
export interface WebhookMetrics {
  /** Events written to an endpoint's queue (one per endpoint). */
  webhookEventsQueued(appId: string, count: number): void;
  /** A request to a receiver started (+1) or ended (-1). */
  webhookInFlight(appId: string, delta: number): void;
  /** A delivery attempt ended: `delivered` (2xx), `failed` (will retry) or `dead_lettered`. */
  webhookAttempt(appId: string, outcome: 'delivered' | 'failed' | 'dead_lettered', seconds: number): void;
}

export const noopWebhookMetrics: WebhookMetrics = {
  webhookEventsQueued: () => undefined,
  webhookInFlight: () => undefined,
  webhookAttempt: () => undefined,
};
