import { connect, type NatsConnection } from 'nats';
import type { ClusterBus } from '../core/ports/cluster-bus.js';

/** ClusterBus over a NATS subject (`<prefix>cluster`); the connection opts out of echo, so a node never hears itself. */
export class NatsBus implements ClusterBus {
  readonly #servers: string;
  readonly #subject: string;
  #connection: NatsConnection | undefined;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  constructor(url: string, prefix = 'mawjly.') {
    this.#servers = url.replace(/^nats:\/\//, '');
    this.#subject = `${prefix}cluster`;
  }

  publish(message: string): void {
    this.#connection?.publish(this.#subject, this.#encoder.encode(message));
  }

  async subscribe(handler: (message: string) => void): Promise<void> {
    this.#connection = await connect({ servers: this.#servers, maxReconnectAttempts: -1, noEcho: true });
    this.#connection.subscribe(this.#subject, {
      callback: (error, msg) => {
        if (!error) handler(this.#decoder.decode(msg.data));
      },
    });
    await this.#connection.flush();
  }

  async close(): Promise<void> {
    await this.#connection?.drain();
  }
}
