import type { App } from '../app.js';

/**
 * Message accounting, counted as Pusher does: each API publish plus each delivery to a client.
 * `messagesToday` is the account's cluster-wide total since 00:00 UTC.
 */
export interface UsageMeter {
  addMessages(app: App, count: number): void;
  messagesToday(accountId: string): number;
}
