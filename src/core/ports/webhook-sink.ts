import type { App } from '../app.js';

export type WebhookPayload =
  | { readonly name: 'channel_occupied' | 'channel_vacated' | 'cache_miss'; readonly channel: string }
  | { readonly name: 'member_added' | 'member_removed'; readonly channel: string; readonly user_id: string }
  | {
      readonly name: 'client_event';
      readonly channel: string;
      readonly event: string;
      readonly data: string;
      readonly socket_id: string;
      readonly user_id?: string;
    }
  | { readonly name: 'subscription_count'; readonly channel: string; readonly subscription_count: number };

export interface WebhookEmitOptions {
  /**
   * Several nodes decide the same fact (a dead node's members leave on every survivor): events
   * with the same key are queued once.
   */
  readonly dedupeKey?: string;
}

/**
 * Receives the webhook-worthy facts the engine decides (once, on the node where they happen).
 * `emit` sits on the realtime path: implementations only buffer; writing and sending happen later.
 */
export interface WebhookSink {
  emit(app: App, event: WebhookPayload, options?: WebhookEmitOptions): void;
}

export const noopWebhookSink: WebhookSink = { emit: () => undefined };
