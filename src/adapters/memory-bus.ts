import type { ClusterBus } from '../core/ports/cluster-bus.js';

/**
 * An in-process hub: every bus created from the same hub is one node. Messages are delivered
 * asynchronously (microtask), like a network bus, so tests exercise real interleavings.
 */
export class MemoryBusHub {
  readonly #buses = new Set<MemoryBus>();

  createBus(): MemoryBus {
    const bus = new MemoryBus(this);
    this.#buses.add(bus);
    return bus;
  }

  /** @internal */
  deliver(from: MemoryBus, message: string): void {
    for (const bus of this.#buses) if (bus !== from) bus.receive(message);
  }

  /** @internal */
  detach(bus: MemoryBus): void {
    this.#buses.delete(bus);
  }
}

export class MemoryBus implements ClusterBus {
  readonly #hub: MemoryBusHub;
  #handler: ((message: string) => void) | undefined;
  #closed = false;

  constructor(hub: MemoryBusHub = new MemoryBusHub()) {
    this.#hub = hub;
  }

  publish(message: string): void {
    if (this.#closed) return;
    this.#hub.deliver(this, message);
  }

  subscribe(handler: (message: string) => void): Promise<void> {
    this.#handler = handler;
    return Promise.resolve();
  }

  /** @internal */
  receive(message: string): void {
    const handler = this.#handler;
    if (handler === undefined || this.#closed) return;
    queueMicrotask(() => {
      if (!this.#closed) handler(message);
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#hub.detach(this);
    return Promise.resolve();
  }
}
