// The Metrics port on prom-client, served as Prometheus text on its own port. Labels are bounded
// (app id, route name, rejection reason): never a channel name or a user id.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../core/ports/metrics.js';

export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  readonly #connections: Gauge<'app_id'>;
  readonly #newConnections: Counter<'app_id'>;
  readonly #messagesIn: Counter<'app_id'>;
  readonly #bytesIn: Counter<'app_id'>;
  readonly #messagesOut: Counter<'app_id'>;
  readonly #bytesOut: Counter<'app_id'>;
  readonly #httpCalls: Counter<'route' | 'status'>;
  readonly #rejected: Counter<'reason'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mawjly_process_' });
    const registers = [this.registry];
    this.#connections = new Gauge({
      name: 'mawjly_connections',
      help: 'Open WebSocket connections',
      labelNames: ['app_id'],
      registers,
    });
    this.#newConnections = new Counter({
      name: 'mawjly_new_connections_total',
      help: 'WebSocket connections accepted',
      labelNames: ['app_id'],
      registers,
    });
    this.#messagesIn = new Counter({
      name: 'mawjly_ws_messages_received_total',
      help: 'Frames received from clients',
      labelNames: ['app_id'],
      registers,
    });
    this.#bytesIn = new Counter({
      name: 'mawjly_ws_bytes_received_total',
      help: 'Bytes received from clients',
      labelNames: ['app_id'],
      registers,
    });
    this.#messagesOut = new Counter({
      name: 'mawjly_ws_messages_sent_total',
      help: 'Channel messages delivered to clients',
      labelNames: ['app_id'],
      registers,
    });
    this.#bytesOut = new Counter({
      name: 'mawjly_ws_bytes_sent_total',
      help: 'Bytes of channel messages delivered to clients',
      labelNames: ['app_id'],
      registers,
    });
    this.#httpCalls = new Counter({
      name: 'mawjly_http_calls_total',
      help: 'Pusher HTTP API calls',
      labelNames: ['route', 'status'],
      registers,
    });
    this.#rejected = new Counter({
      name: 'mawjly_publishes_rejected_total',
      help: 'Publishes refused, by reason',
      labelNames: ['reason'],
      registers,
    });
  }

  connectionOpened(appId: string): void {
    this.#connections.inc({ app_id: appId });
    this.#newConnections.inc({ app_id: appId });
  }

  connectionClosed(appId: string): void {
    this.#connections.dec({ app_id: appId });
  }

  messageIn(appId: string, bytes: number): void {
    this.#messagesIn.inc({ app_id: appId });
    this.#bytesIn.inc({ app_id: appId }, bytes);
  }

  messagesOut(appId: string, count: number, bytes: number): void {
    this.#messagesOut.inc({ app_id: appId }, count);
    this.#bytesOut.inc({ app_id: appId }, bytes);
  }

  httpCall(route: string, status: number): void {
    this.#httpCalls.inc({ route, status: String(status) });
  }

  publishRejected(reason: string): void {
    this.#rejected.inc({ reason });
  }
}
