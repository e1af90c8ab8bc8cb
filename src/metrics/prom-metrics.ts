// The Metrics port on prom-client, served as Prometheus text on its own port. Labels are bounded
// (app id, route name, rejection reason): never a channel name or a user id.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClusterHealth } from '../core/ports/adapter.js';
import type { Metrics, WebhookMetrics } from '../core/ports/metrics.js';

/**
 * Counts of the hot path (frames in and out, HTTP calls) are summed in plain maps and handed to
 * prom-client when Prometheus scrapes (its `collect` hook): prom-client hashes the label object on
 * every inc(), which would cost more than the rest of a delivery's bookkeeping.
 */
class PendingCounts {
  readonly #counts = new Map<string, number>();

  add(key: string, value: number): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + value);
  }

  drain(apply: (key: string, value: number) => void): void {
    for (const [key, value] of this.#counts) apply(key, value);
    this.#counts.clear();
  }
}

export class PromMetrics implements Metrics, WebhookMetrics {
  readonly registry = new Registry();
  readonly #connections: Gauge<'app_id'>;
  readonly #newConnections: Counter<'app_id'>;
  readonly #messagesIn: Counter<'app_id'>;
  readonly #bytesIn: Counter<'app_id'>;
  readonly #messagesOut: Counter<'app_id'>;
  readonly #bytesOut: Counter<'app_id'>;
  readonly #httpCalls: Counter<'route' | 'status'>;
  readonly #rejected: Counter<'reason'>;
  readonly #webhookQueued: Counter<'app_id'>;
  readonly #webhookInFlight: Gauge<'app_id'>;
  readonly #webhookDeliveries: Counter<'app_id' | 'outcome'>;
  readonly #webhookLatency: Histogram<'app_id'>;
  readonly #pendingIn = new PendingCounts();
  readonly #pendingBytesIn = new PendingCounts();
  readonly #pendingOut = new PendingCounts();
  readonly #pendingBytesOut = new PendingCounts();
  /** Keyed `route status`. */
  readonly #pendingHttp = new PendingCounts();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mawjly_' });
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
      collect: () => {
        this.#pendingIn.drain((appId, n) => {
          this.#messagesIn.inc({ app_id: appId }, n);
        });
      },
    });
    this.#bytesIn = new Counter({
      name: 'mawjly_ws_bytes_received_total',
      help: 'Bytes received from clients',
      labelNames: ['app_id'],
      registers,
      collect: () => {
        this.#pendingBytesIn.drain((appId, n) => {
          this.#bytesIn.inc({ app_id: appId }, n);
        });
      },
    });
    this.#messagesOut = new Counter({
      name: 'mawjly_ws_messages_sent_total',
      help: 'Channel messages delivered to clients',
      labelNames: ['app_id'],
      registers,
      collect: () => {
        this.#pendingOut.drain((appId, n) => {
          this.#messagesOut.inc({ app_id: appId }, n);
        });
      },
    });
    this.#bytesOut = new Counter({
      name: 'mawjly_ws_bytes_sent_total',
      help: 'Bytes of channel messages delivered to clients',
      labelNames: ['app_id'],
      registers,
      collect: () => {
        this.#pendingBytesOut.drain((appId, n) => {
          this.#bytesOut.inc({ app_id: appId }, n);
        });
      },
    });
    this.#httpCalls = new Counter({
      name: 'mawjly_http_calls_total',
      help: 'Pusher HTTP API calls',
      labelNames: ['route', 'status'],
      registers,
      collect: () => {
        this.#pendingHttp.drain((key, n) => {
          const space = key.indexOf(' ');
          this.#httpCalls.inc({ route: key.slice(0, space), status: key.slice(space + 1) }, n);
        });
      },
    });
    this.#rejected = new Counter({
      name: 'mawjly_publishes_rejected_total',
      help: 'Publishes refused, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.#webhookQueued = new Counter({
      name: 'mawjly_webhook_events_queued_total',
      help: 'Webhook events written to an endpoint queue (one per endpoint)',
      labelNames: ['app_id'],
      registers,
    });
    this.#webhookInFlight = new Gauge({
      name: 'mawjly_webhook_requests_in_flight',
      help: 'Webhook requests waiting for the receiver',
      labelNames: ['app_id'],
      registers,
    });
    this.#webhookDeliveries = new Counter({
      name: 'mawjly_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, failed (retried later), dead_lettered',
      labelNames: ['app_id', 'outcome'],
      registers,
    });
    this.#webhookLatency = new Histogram({
      name: 'mawjly_webhook_request_duration_seconds',
      help: 'Time from sending a webhook request to the receiver answering (or failing)',
      labelNames: ['app_id'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10],
      registers,
    });
  }

  webhookEventsQueued(appId: string, count: number): void {
    this.#webhookQueued.inc({ app_id: appId }, count);
  }

  webhookInFlight(appId: string, delta: number): void {
    this.#webhookInFlight.inc({ app_id: appId }, delta);
  }

  webhookAttempt(appId: string, outcome: 'delivered' | 'failed' | 'dead_lettered', seconds: number): void {
    this.#webhookDeliveries.inc({ app_id: appId, outcome });
    this.#webhookLatency.observe({ app_id: appId }, seconds);
  }

  /**
   * The node's link to the cluster, read from `health` at every scrape: bus state, peers, outages,
   * events lost to other nodes while the bus was down, and digest re-syncs.
   */
  observeCluster(health: () => ClusterHealth): void {
    const registers = [this.registry];
    const counted = (name: string, help: string, read: (h: ClusterHealth) => number): void => {
      let reported = 0;
      const counter: Counter = new Counter({
        name,
        help,
        registers,
        collect: () => {
          const value = read(health());
          if (value > reported) counter.inc(value - reported);
          reported = value;
        },
      });
    };
    new Gauge({
      name: 'mawjly_cluster_bus_connected',
      help: '1 while this node is connected to the cluster bus, 0 while it is reconnecting',
      labelNames: ['bus'],
      registers,
      collect() {
        const h = health();
        this.reset();
        this.set({ bus: h.bus }, h.state === 'connected' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'mawjly_cluster_bus_state_since_seconds',
      help: 'When the cluster bus state last changed (Unix time, seconds)',
      registers,
      collect() {
        this.set(health().since / 1000);
      },
    });
    new Gauge({
      name: 'mawjly_cluster_peers',
      help: 'Other nodes heard from within the node timeout',
      registers,
      collect() {
        this.set(health().peers);
      },
    });
    counted('mawjly_cluster_bus_outages_total', 'Times this node lost the cluster bus', (h) => h.outages);
    counted(
      'mawjly_cluster_publishes_lost_total',
      'Events published on this node that reached no other node because the cluster bus was down',
      (h) => h.lostPublishes,
    );
    counted(
      'mawjly_cluster_resyncs_total',
      'Snapshots asked of another node because its state here disagreed with its digest',
      (h) => h.resyncs,
    );
  }

  connectionOpened(appId: string): void {
    this.#connections.inc({ app_id: appId });
    this.#newConnections.inc({ app_id: appId });
  }

  connectionClosed(appId: string): void {
    this.#connections.dec({ app_id: appId });
  }

  messageIn(appId: string, bytes: number): void {
    this.#pendingIn.add(appId, 1);
    this.#pendingBytesIn.add(appId, bytes);
  }

  messagesOut(appId: string, count: number, bytes: number): void {
    this.#pendingOut.add(appId, count);
    this.#pendingBytesOut.add(appId, bytes);
  }

  httpCall(route: string, status: number): void {
    let byStatus = this.#httpKeys.get(route);
    if (!byStatus) this.#httpKeys.set(route, (byStatus = new Map<number, string>()));
    let key = byStatus.get(status);
    if (key === undefined) byStatus.set(status, (key = `${route} ${String(status)}`));
    this.#pendingHttp.add(key, 1);
  }

  /** `route status` keys, built once per pair (routes and statuses are a short fixed list). */
  readonly #httpKeys = new Map<string, Map<number, string>>();

  publishRejected(reason: string): void {
    this.#rejected.inc({ reason });
  }
}
