// Recovery after a reconnect (docs/history.md): for apps that keep channel history, the server adds
// `mawjly_serial` to each kept event. The helper remembers the last serial per channel and, when
// pusher-js resubscribes (after any reconnect), adds `mawjly_since` to `pusher:subscribe`; the server
// then replays the missed events before live ones, or sends `mawjly:cannot_recover`, which the
// helper hands to the channel's listeners (on encrypted channels too, where pusher-js would try to
// decrypt it and drop it).

export const SERIAL_FIELD = 'mawjly_serial';
export const SINCE_FIELD = 'mawjly_since';
export const CANNOT_RECOVER_EVENT = 'mawjly:cannot_recover';

const HAS_SERIAL = /,"mawjly_serial":\d+\}$/;

interface ChannelLike {
  name: string;
  handleEvent(event: { event: string; data?: unknown }): void;
  emit(event: string, data?: unknown): unknown;
}

interface TransportLike {
  bind(event: 'message', callback: (message: { data?: unknown }) => void): unknown;
}

/** The parts of a pusher-js instance the recovery needs (internals stable across pusher-js 7–8). */
export interface RecoverablePusher {
  connection: {
    bind(event: 'connected', callback: () => void): unknown;
    connection?: { transport?: TransportLike } | null;
  };
}

/** Per-client recovery state: last serial per channel. */
export class HistoryRecovery {
  readonly #lastSerial = new Map<string, number>();
  readonly #hooked = new WeakSet<object>();
  readonly #transports = new WeakSet<object>();

  constructor(pusher: RecoverablePusher) {
    // Every new connection gets its own transport; watch each for serials.
    pusher.connection.bind('connected', () => {
      const transport = pusher.connection.connection?.transport;
      if (!transport || this.#transports.has(transport)) return;
      this.#transports.add(transport);
      transport.bind('message', (message) => {
        if (typeof message.data === 'string') this.#observe(message.data);
      });
    });
  }

  /** The last serial received on `channel` (0 when none). */
  lastSerial(channel: string): number {
    return this.#lastSerial.get(channel) ?? 0;
  }

  /** Called for each channel pusher-js creates: routes `mawjly:cannot_recover` to its listeners. */
  hookChannel(channel: ChannelLike): void {
    if (this.#hooked.has(channel)) return;
    this.#hooked.add(channel);
    const original = channel.handleEvent.bind(channel);
    channel.handleEvent = (event) => {
      if (event.event === CANNOT_RECOVER_EVENT) {
        // What was missed is unknown: start afresh from the next live event.
        this.#lastSerial.delete(channel.name);
        channel.emit(CANNOT_RECOVER_EVENT, event.data);
        return;
      }
      original(event);
    };
  }

  /** Called with every frame the client sends: adds `mawjly_since` to a resubscription. */
  decorate(eventName: string, data: unknown): unknown {
    if (eventName !== 'pusher:subscribe' || typeof data !== 'object' || data === null) return data;
    const channel = (data as { channel?: unknown }).channel;
    if (typeof channel !== 'string') return data;
    const since = this.#lastSerial.get(channel);
    return since === undefined ? data : { ...data, [SINCE_FIELD]: since };
  }

  /** The app unsubscribed: a later subscription starts afresh. */
  forget(channel: string): void {
    this.#lastSerial.delete(channel);
  }

  #observe(text: string): void {
    if (!HAS_SERIAL.test(text)) return;
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    const { channel, mawjly_serial: serial } = frame as { channel?: unknown; mawjly_serial?: unknown };
    if (typeof channel !== 'string' || typeof serial !== 'number') return;
    if (serial > (this.#lastSerial.get(channel) ?? 0)) this.#lastSerial.set(channel, serial);
  }
}
