// What the realtime engine knows about an app: credentials, the owning account's plan limits and the
// app's settings. The management layer keeps these records current (see ports/app-directory.ts).

import type { HistoryRetention } from './ports/channel-history.js';

export type PlanName = 'free' | 'startup' | 'pro' | 'business';
export const PLAN_NAMES: readonly PlanName[] = ['free', 'startup', 'pro', 'business'];

/** Account-wide limits of a plan (PRODUCT.md plan table). `null` means unlimited. */
export interface PlanLimits {
  readonly name: string;
  readonly maxConnections: number | null;
  readonly maxMessagesPerDay: number | null;
  readonly maxApps: number | null;
  readonly maxPresenceMembers: number | null;
  readonly maxWebhookEndpoints: number | null;
  readonly clientEvents: boolean;
  readonly encryptedChannels: boolean;
  /** Channel history (issue 11 §3): the most an app may keep per channel, or null when the plan has none. */
  readonly history: PlanHistory | null;
}

/** A plan's ceiling on the history settings of its apps. */
export interface PlanHistory {
  readonly maxEvents: number;
  readonly maxAgeSeconds: number;
}

export const DEFAULT_PLANS: Readonly<Record<PlanName, PlanLimits>> = {
  free: {
    name: 'free',
    maxConnections: 100,
    maxMessagesPerDay: 200_000,
    maxApps: 2,
    maxPresenceMembers: 100,
    maxWebhookEndpoints: 1,
    clientEvents: false,
    encryptedChannels: false,
    history: null,
  },
  startup: {
    name: 'startup',
    maxConnections: 500,
    maxMessagesPerDay: 1_000_000,
    maxApps: 5,
    maxPresenceMembers: 250,
    maxWebhookEndpoints: 5,
    clientEvents: true,
    encryptedChannels: true,
    history: null,
  },
  pro: {
    name: 'pro',
    maxConnections: 2_000,
    maxMessagesPerDay: 4_000_000,
    maxApps: 20,
    maxPresenceMembers: 500,
    maxWebhookEndpoints: 10,
    clientEvents: true,
    encryptedChannels: true,
    history: { maxEvents: 100, maxAgeSeconds: 120 },
  },
  business: {
    name: 'business',
    maxConnections: 5_000,
    maxMessagesPerDay: 10_000_000,
    maxApps: 100,
    maxPresenceMembers: 1_000,
    maxWebhookEndpoints: 25,
    clientEvents: true,
    encryptedChannels: true,
    history: { maxEvents: 1_000, maxAgeSeconds: 3_600 },
  },
};

/** Per-app switches (PRODUCT.md "App settings"). */
export interface AppSettings {
  readonly enabled: boolean;
  /** Effective only where the plan allows client events. */
  readonly clientEvents: boolean;
  /** `client-*` events on `private-encrypted-*` channels, secretbox envelopes only (needs clientEvents). */
  readonly encryptedClientEvents: boolean;
  readonly userAuthentication: boolean;
  readonly subscriptionCount: boolean;
  readonly authorizedConnections: boolean;
  readonly allowedOrigins: readonly string[];
  /**
   * Channel history as kept (issue 11 §3): null when off. Already bounded by the plan's ceiling
   * (the management layer clamps it), so the engine uses it as is.
   */
  readonly history: HistoryRetention | null;
}

export const DEFAULT_APP_SETTINGS: AppSettings = {
  enabled: true,
  clientEvents: true,
  encryptedClientEvents: false,
  userAuthentication: true,
  subscriptionCount: false,
  authorizedConnections: false,
  allowedOrigins: ['*'],
  history: null,
};

export interface App {
  readonly id: string;
  readonly key: string;
  /** Secrets that currently verify signatures: the active one first, then any in a rotation grace period. */
  readonly secrets: readonly string[];
  readonly accountId: string;
  readonly name: string;
  readonly plan: PlanLimits;
  readonly settings: AppSettings;
}

/** Client events are allowed when both the plan and the app's setting allow them. */
export function clientEventsAllowed(app: App): boolean {
  return app.plan.clientEvents && app.settings.clientEvents;
}

/** What the app keeps of each channel, or null when history is off (setting off or plan without it). */
export function historyRetention(app: App): HistoryRetention | null {
  return app.plan.history === null ? null : app.settings.history;
}
