import { MemoryBusHub } from '../../src/adapters/memory-bus.js';
import { NatsBus } from '../../src/adapters/nats-bus.js';
import { RedisBus } from '../../src/adapters/redis-bus.js';
import { runBusContract } from './bus-contract.js';

const hubs = new Map<string, MemoryBusHub>();
runBusContract('memory', (cluster) => {
  let hub = hubs.get(cluster);
  if (!hub) hubs.set(cluster, (hub = new MemoryBusHub()));
  return hub.createBus();
});

runBusContract(
  'redis',
  (cluster) => new RedisBus(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', `mawjly-test:${cluster}:`),
);

runBusContract(
  'nats',
  (cluster) => new NatsBus(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', `mawjly-test.${cluster}.`),
);
