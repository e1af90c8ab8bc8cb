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
