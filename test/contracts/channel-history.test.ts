import { after } from 'node:test';
import { connect } from 'nats';
import { MemoryChannelHistory } from '../../src/adapters/memory-history.js';
import { NatsHistory } from '../../src/adapters/nats-history.js';
import { RedisHistory } from '../../src/adapters/redis-history.js';
import { runHistoryContract } from './channel-history-contract.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

// A lone node: engines on one namespace are one instance (the "two nodes" of a namespace share it).
const memories = new Map<string, MemoryChannelHistory>();
runHistoryContract('memory', {
  open: (namespace) => {
    let engine = memories.get(namespace);
    if (!engine) memories.set(namespace, (engine = new MemoryChannelHistory()));
    return engine;
  },
});

// Redis keys of the test namespaces expire on their own (maxAgeMs + 60 s after the last append).
runHistoryContract('redis', {
  open: (namespace) => new RedisHistory(redisUrl, { prefix: `mawjly-test:${namespace}:` }),
  fault: {
    port: Number(new URL(redisUrl).port || 6379),
    open: (namespace, address, deadlineMs) =>
      new RedisHistory(`redis://${address}`, { prefix: `mawjly-test:${namespace}:`, deadlineMs }),
  },
});

// Each namespace is its own stream, in memory storage, deleted when the suite ends.
const streams = new Set<string>();
const natsPrefix = (namespace: string): string => {
  streams.add(`mawjly-test-${namespace}_history`);
  return `mawjly-test-${namespace}`;
};
after(async () => {
  const nc = await connect({ servers: natsUrl.replace(/^nats:\/\//, '') });
  const jsm = await nc.jetstreamManager();
  await Promise.allSettled([...streams].map(async (stream) => jsm.streams.delete(stream)));
  await nc.close();
});

runHistoryContract('nats', {
  open: (namespace) => new NatsHistory(natsUrl, { prefix: natsPrefix(namespace), storage: 'memory' }),
  fault: {
    port: Number(new URL(natsUrl.replace(/^nats:/, 'http:')).port || 4222),
    open: (namespace, address, deadlineMs) =>
      new NatsHistory(`nats://${address}`, { prefix: natsPrefix(namespace), storage: 'memory', deadlineMs }),
  },
});
