import { connect, Events, type NatsConnection } from 'nats';
import type { ClusterBus } from '../core/ports/cluster-bus.js';

/**
 * ClusterBus over a NATS subject (`<prefix>cluster`); the connection opts out of echo, so a node
 * never hears itself.
 *
 * Outages: the client reconnects forever (every 0.5 s, jittered) and re-subscribes; the bus reports
 * `disconnect` as lost and `reconnect` (once the server has our subscription again: a flush round
 * trip) as back. Nothing is published while disconnected: the client's reconnect buffer would
 * deliver stale events after the outage, racing the other nodes' re-subscribe.
 */
export class NatsBus implements ClusterBus {
  readonly kind = 'nats';
  readonly #servers: string;
  readonly #subject: string;
  #connection: NatsConnection | undefined;
  #connected = false;
  #closing = false;
  #lastError: string | undefined;
  #listener: ((connected: boolean, detail: string | undefined) => void) | undefined;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  constructor(url: string, prefix = 'mawjly.') {
    this.#servers = url.replace(/^nats:\/\//, '');
    this.#subject = `${prefix}cluster`;
  }

  publish(message: string): void {
    if (!this.#connected) return;
    this.#connection?.publish(this.#subject, this.#encoder.encode(message));
  }

  async subscribe(handler: (message: string) => void): Promise<void> {
    const connection = await connect({
      servers: this.#servers,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      // A black-holed server is noticed after two unanswered pings (~20 s), not the default 4 min.
      pingInterval: 10_000,
      maxPingOut: 2,
      noEcho: true,
    });
    this.#connection = connection;
    connection.subscribe(this.#subject, {
      callback: (error, msg) => {
        if (!error) handler(this.#decoder.decode(msg.data));
      },
    });
    await connection.flush();
    this.#connected = true;
    void this.#watch(connection);
  }

  onConnectionChange(listener: (connected: boolean, detail: string | undefined) => void): void {
    this.#listener = listener;
  }

  async close(): Promise<void> {
    this.#closing = true;
    const connection = this.#connection;
    if (!connection || connection.isClosed()) return;
    // Draining needs the server; a connection still reconnecting is closed outright.
    await (this.#connected ? connection.drain() : connection.close()).catch(() => undefined);
  }

  async #watch(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (this.#closing) return;
      switch (status.type) {
        case Events.Disconnect:
          this.#report(false, this.#lastError ?? `disconnected from ${describe(status.data)}`);
          break;
        case Events.Reconnect:
          // The subscription was re-sent on the new connection; a flush proves the server has it.
          connection.flush().then(
            () => {
              this.#report(true, undefined);
            },
            () => undefined,
          );
          break;
        case Events.Error:
          this.#lastError = describe(status.data);
          break;
        default:
          break;
      }
    }
  }

  #report(connected: boolean, detail: string | undefined): void {
    if (connected === this.#connected || this.#closing) return;
    this.#connected = connected;
    if (connected) this.#lastError = undefined;
    this.#listener?.(connected, detail);
  }
}

/** A status event's data: a server address, an error or a cluster update. */
function describe(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof Error) return data.message;
  return data === undefined ? 'unknown' : JSON.stringify(data);
}
