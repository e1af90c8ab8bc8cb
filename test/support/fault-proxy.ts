// A TCP proxy on 127.0.0.1 that fault tests put between the server and a backing service (Redis,
// NATS, PostgreSQL), so an outage can be staged without touching the machine's shared services.
//
// Modes:
// - 'pass': forward both ways.
// - 'cut': every open connection is destroyed and new ones are closed at once (a refused or reset
//   service, as after a crash or a firewall REJECT).
// - 'hold': connections stay open but nothing moves either way; bytes are kept and delivered in
//   order when the mode returns to 'pass' (a black-holed network that later heals: TCP retransmits
//   deliver what was sent meanwhile). New connections are accepted and held the same way. A client
//   that closes its connection meanwhile does not take back what it sent: as with a real socket
//   (data, then FIN), the held bytes are still delivered on 'pass', then the upstream is ended.
// - 'drop': like 'hold', but bytes sent meanwhile are discarded (a partition where the packets are
//   lost for good; the peers only notice through their own timeouts).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type FaultMode = 'pass' | 'cut' | 'hold' | 'drop';

export interface FaultProxy {
  readonly port: number;
  /** `host:port` of the proxy, for building service URLs. */
  readonly address: string;
  readonly mode: FaultMode;
  setMode(mode: FaultMode): void;
  /**
   * Switches to 'hold' just before relaying the first client chunk for which `trigger` returns
   * true (that chunk is held too), e.g. to black-hole a COMMIT in flight. `connection` numbers the
   * client connections. Cleared once fired or by setMode.
   */
  holdWhen(trigger: (chunk: Buffer, connection: number) => boolean): void;
  /** Open client connections (for assertions that a client reconnected). */
  connections(): number;
  close(): Promise<void>;
}

interface Pair {
  readonly id: number;
  readonly client: Socket;
  readonly upstream: Socket;
  /** Bytes held while in 'hold', per direction, delivered in order on 'pass'. */
  readonly toUpstream: Buffer[];
  readonly toClient: Buffer[];
  /** The client closed during 'hold': flush `toUpstream` on 'pass', then end the upstream. */
  clientGone: boolean;
}

export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  const pairs = new Set<Pair>();
  let trigger: ((chunk: Buffer, connection: number) => boolean) | undefined;
  let connections = 0;

  const destroyPair = (pair: Pair): void => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  };

  const relay = (pair: Pair, data: Buffer, to: Socket, held: Buffer[]): void => {
    if (mode === 'pass') to.write(data);
    else if (mode === 'hold') held.push(data);
    // 'drop' discards; 'cut' has destroyed the pair already.
  };

  const server: Server = createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    connections += 1;
    const pair: Pair = { id: connections, client, upstream, toUpstream: [], toClient: [], clientGone: false };
    pairs.add(pair);
    client.on('data', (data: Buffer) => {
      if (trigger?.(data, pair.id) === true) {
        trigger = undefined;
        mode = 'hold';
      }
      relay(pair, data, upstream, pair.toUpstream);
    });
    upstream.on('data', (data: Buffer) => {
      relay(pair, data, client, pair.toClient);
    });
    const end = (): void => {
      destroyPair(pair);
    };
    const clientClosed = (): void => {
      if (mode === 'hold' && pair.toUpstream.length > 0) {
        pair.clientGone = true;
        return;
      }
      destroyPair(pair);
    };
    client.on('error', clientClosed).on('close', clientClosed);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    address: `127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    setMode(next: FaultMode): void {
      mode = next;
      trigger = undefined;
      for (const pair of [...pairs]) {
        if (next === 'cut') destroyPair(pair);
        else if (next === 'pass') {
          for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk);
          if (pair.clientGone) {
            pairs.delete(pair);
            pair.upstream.end();
            continue;
          }
          for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
        } else if (next === 'drop') {
          if (pair.clientGone) destroyPair(pair);
          pair.toUpstream.length = 0;
          pair.toClient.length = 0;
        }
      }
    },
    holdWhen(next: (chunk: Buffer, connection: number) => boolean): void {
      trigger = next;
    },
    connections: () => pairs.size,
    async close(): Promise<void> {
      for (const pair of [...pairs]) destroyPair(pair);
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
