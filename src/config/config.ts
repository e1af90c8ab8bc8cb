// Every configuration key: its default, its unit and its environment variable, validated once.
// docs/configuration.md lists the same table.
import { z } from 'zod';
import { DEFAULT_YOUNG_GENERATION_MB, MAX_YOUNG_GENERATION_MB } from './young-generation.js';

// Explicit messages: zod's own ("expected number, received NaN", "Invalid input") do not say what
// the variable accepts.
const PORT_MESSAGE = 'expected a port number from 0 to 65535';
const port = z.coerce
  .number({ error: PORT_MESSAGE })
  .int({ error: PORT_MESSAGE })
  .min(0, { error: PORT_MESSAGE })
  .max(65535, { error: PORT_MESSAGE });
const YOUNG_GENERATION_MESSAGE = `expected a whole number of MB from 0 (V8's own sizing) to ${MAX_YOUNG_GENERATION_MB}`;
const number = (): z.ZodCoercedNumber => z.coerce.number({ error: 'expected a number' });
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])], {
    error: 'expected true or false (or 1/0, yes/no)',
  })
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

export const configSchema = z
  .object({
    /** HTTP + WebSocket port (PORT). */
    port: port.default(6001),
    /** Bind address (HOST). */
    host: z.string().min(1).default('0.0.0.0'),
    /**
     * Let several nodes on one host listen on the same PORT, the kernel spreading new connections
     * over them (SO_REUSEPORT; MAWJLY_REUSE_PORT). uws transport only, and only with a cluster bus:
     * nodes sharing a port without one would each see only their own clients.
     */
    reusePort: bool.default(false),
    /**
     * Prometheus metrics port (METRICS_PORT); 0 picks a free port. Unset, it follows the HTTP port:
     * PORT + 3600 (6001 → 9601), so a second instance on another PORT does not collide on it.
     */
    metricsPort: port.optional(),
    /** Where SQLite and other local state live (MAWJLY_DATA_DIR). */
    dataDir: z.string().min(1).default('./data'),
    /** JSON array of apps upserted at start (MAWJLY_APPS_FILE). */
    appsFile: z.string().optional(),
    /** PostgreSQL URL; when unset the embedded SQLite store is used (DATABASE_URL). */
    databaseUrl: z.string().optional(),
    /**
     * Bound on every database call in ms, connecting included: past it the call fails with 503
     * database_unavailable and a write is never applied later (MAWJLY_DATABASE_TIMEOUT_MS).
     */
    databaseTimeoutMs: number().int().min(100).max(60_000).default(2000),
    /** Cluster fan-out: `memory` (one process), `redis://…` or `nats://…` (MAWJLY_CLUSTER_URL). */
    clusterUrl: z.string().default('memory'),
    /** Namespace of this cluster's messages on a shared Redis or NATS (MAWJLY_CLUSTER_PREFIX). */
    clusterPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64')
      .default('mawjly'),
    /**
     * `/ready` answers 503 while this node has lost the cluster bus (MAWJLY_READY_REQUIRES_BUS).
     * false: the bus state is still reported in the body, but the node stays ready for local clients.
     */
    readyRequiresBus: bool.default(true),
    /** Cluster name shown to clients and in snippets (MAWJLY_CLUSTER_NAME). */
    clusterName: z.string().default('sa'),
    /** Public URL of this server, for printed snippets (MAWJLY_PUBLIC_URL). */
    publicUrl: z.string().optional(),
    /** `activity_timeout` sent to clients, in seconds (MAWJLY_ACTIVITY_TIMEOUT_S). */
    activityTimeoutSeconds: number().int().min(1).max(3600).default(120),
    /** How long to wait for a pong after a server ping, in ms (MAWJLY_PONG_TIMEOUT_MS). */
    pongTimeoutMs: number().int().min(100).default(30_000),
    /** Authorized-connections deadline, in ms (MAWJLY_AUTHORIZATION_TIMEOUT_MS). */
    authorizationTimeoutMs: number().int().min(100).default(30_000),
    /** A socket whose unsent bytes pass this bound is closed with 4100 (MAWJLY_MAX_BUFFERED_BYTES). */
    maxBufferedBytes: number()
      .int()
      .min(1024)
      .default(4 * 1024 * 1024),
    /** Channels one socket may be subscribed to at once (MAWJLY_MAX_CHANNELS_PER_SOCKET). */
    maxChannelsPerSocket: number().int().min(1).max(100_000).default(100),
    /** Presence channels one socket may be a member of at once (MAWJLY_MAX_PRESENCE_PER_SOCKET). */
    maxPresencePerSocket: number().int().min(1).max(10_000).default(10),
    /** On SIGTERM/SIGINT, keep listening this long with /ready answering 503 before closing (MAWJLY_DRAIN_DELAY_MS). */
    drainDelayMs: z.coerce.number().int().min(0).max(600_000).default(0),
    /** Seconds to wait for sockets to close on SIGTERM/SIGINT (MAWJLY_SHUTDOWN_GRACE_S). */
    shutdownGraceSeconds: number().min(0).default(10),
    /** Cache channel TTL in seconds (MAWJLY_CACHE_TTL_S). */
    cacheTtlSeconds: number().int().min(1).default(1800),
    /** Refuse REST publishes to encrypted channels that are not a {nonce, ciphertext} envelope (MAWJLY_CHECK_ENCRYPTED_ENVELOPE). */
    checkEncryptedEnvelope: bool.default(true),
    /** Path of a JSON file overriding the plan table (MAWJLY_PLANS_FILE). */
    plansFile: z.string().optional(),
    /** Behind a TLS-terminating proxy: trust X-Forwarded-For / X-Forwarded-Proto (MAWJLY_TRUST_PROXY). */
    trustProxy: bool.default(false),
    /** TLS certificate and key files; both set = serve https/wss on the same port (TLS_CERT, TLS_KEY). */
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    /** Allow webhook URLs resolving to loopback/private/link-local addresses (MAWJLY_WEBHOOKS_ALLOW_PRIVATE_TARGETS). */
    webhooksAllowPrivateTargets: bool.default(false),
    /** A webhook receiver must answer within this, in ms (MAWJLY_WEBHOOKS_TIMEOUT_MS). */
    webhooksTimeoutMs: number().int().min(100).max(60_000).default(4000),
    /** Failed webhook deliveries are retried this long, then dead-lettered, in ms (MAWJLY_WEBHOOKS_RETRY_FOR_MS). */
    webhooksRetryForMs: number().int().min(0).default(300_000),
    /** First retry delay; doubles per attempt with ±25 % jitter, in ms (MAWJLY_WEBHOOKS_RETRY_BASE_MS). */
    webhooksRetryBaseMs: number().int().min(10).default(1000),
    /** Longest delay between two retries, in ms (MAWJLY_WEBHOOKS_RETRY_MAX_MS). */
    webhooksRetryMaxMs: number().int().min(10).default(60_000),
    /** How long events wait to be batched (up to 20 per request), in ms (MAWJLY_WEBHOOKS_BATCH_MS). */
    webhooksBatchMs: number().int().min(0).max(10_000).default(250),
    /** channel_vacated / member_removed are held this long and dropped if undone, in ms (MAWJLY_WEBHOOKS_HOLD_MS). */
    webhooksHoldMs: number().int().min(0).max(60_000).default(3000),
    /** A node's claim on an endpoint's deliveries; a dead node's expire after this, in ms (MAWJLY_WEBHOOKS_LEASE_MS). */
    webhooksLeaseMs: number().int().min(1000).default(15_000),
    /** How often each node looks for webhook work written by others, in ms (MAWJLY_WEBHOOKS_POLL_MS). */
    webhooksPollMs: number().int().min(50).default(500),
    /** Webhook requests in flight per node (MAWJLY_WEBHOOKS_CONCURRENCY). */
    webhooksConcurrency: number().int().min(1).default(64),
    /** Webhook requests in flight per endpoint (MAWJLY_WEBHOOKS_ENDPOINT_CONCURRENCY). */
    webhooksEndpointConcurrency: number().int().min(1).default(4),
    /** Delivered and dead-lettered deliveries are kept this long in the log, in hours (MAWJLY_WEBHOOKS_LOG_RETENTION_H). */
    webhooksLogRetentionHours: number().min(1).default(168),
    /**
     * The HTTP + WebSocket transport (MAWJLY_TRANSPORT): `uws` (uWebSockets.js, native), `ws`
     * (node:http + ws), or `auto`: uws where its native module loads, else ws.
     */
    transport: z.enum(['auto', 'uws', 'ws'], { error: 'expected auto, uws or ws' }).default('auto'),
    /**
     * Largest size of V8's young generation in MB (MAWJLY_YOUNG_GENERATION_MB), 0 = V8's own sizing
     * (up to 32). Applied by `mawjly serve` before its modules load (config/young-generation.ts);
     * validated here so that a bad value stops the server with a message naming it.
     */
    youngGenerationMb: z.coerce
      .number({ error: YOUNG_GENERATION_MESSAGE })
      .int({ error: YOUNG_GENERATION_MESSAGE })
      .min(0, { error: YOUNG_GENERATION_MESSAGE })
      .max(MAX_YOUNG_GENERATION_MB, { error: YOUNG_GENERATION_MESSAGE })
      .default(DEFAULT_YOUNG_GENERATION_MB),
    /**
     * Before binding its port, `mawjly serve` rehearses: a copy of itself in a temporary store gets
     * 3,000 signed publishes over loopback, so V8 has compiled the REST path before the first
     * request (MAWJLY_WARM_UP; server/warm-up.ts). `auto`: on the uws transport only (on ws it
     * cost fan-out and REST throughput in the benchmarks, docs/benchmarks.md).
     */
    warmUp: z.union([z.literal('auto'), bool], { error: 'expected auto, true or false' }).default('auto'),
    /** Log level (LOG_LEVEL). */
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .superRefine((config, ctx) => {
    // One of the two alone would otherwise start a plain-http server the operator believes is TLS.
    if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
      const missing = config.tlsCert === undefined ? 'tlsCert' : 'tlsKey';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'not set: set both TLS_CERT and TLS_KEY to serve https/wss, or neither',
      });
    }
    // Clients would land on whichever node the kernel picks, and a publish would reach only the
    // clients of the node that took it.
    if (config.reusePort && config.clusterUrl === 'memory')
      ctx.addIssue({
        code: 'custom',
        path: ['reusePort'],
        message:
          'true needs a cluster bus (MAWJLY_CLUSTER_URL=redis://… or nats://…): nodes sharing a port without one would each see only their own clients',
      });
  })
  .transform((config) => ({ ...config, metricsPort: config.metricsPort ?? defaultMetricsPort(config.port) }));

/** METRICS_PORT when unset: PORT + 3600 (6001 → 9601); any free port when PORT is 0 or too high. */
export function defaultMetricsPort(httpPort: number): number {
  return httpPort === 0 || httpPort + 3600 > 65535 ? 0 : httpPort + 3600;
}

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variable of each key. */
export const ENV_VARS: Readonly<Record<keyof Config, string>> = {
  port: 'PORT',
  host: 'HOST',
  reusePort: 'MAWJLY_REUSE_PORT',
  metricsPort: 'METRICS_PORT',
  dataDir: 'MAWJLY_DATA_DIR',
  appsFile: 'MAWJLY_APPS_FILE',
  databaseUrl: 'DATABASE_URL',
  databaseTimeoutMs: 'MAWJLY_DATABASE_TIMEOUT_MS',
  clusterUrl: 'MAWJLY_CLUSTER_URL',
  clusterPrefix: 'MAWJLY_CLUSTER_PREFIX',
  readyRequiresBus: 'MAWJLY_READY_REQUIRES_BUS',
  clusterName: 'MAWJLY_CLUSTER_NAME',
  publicUrl: 'MAWJLY_PUBLIC_URL',
  activityTimeoutSeconds: 'MAWJLY_ACTIVITY_TIMEOUT_S',
  pongTimeoutMs: 'MAWJLY_PONG_TIMEOUT_MS',
  authorizationTimeoutMs: 'MAWJLY_AUTHORIZATION_TIMEOUT_MS',
  maxBufferedBytes: 'MAWJLY_MAX_BUFFERED_BYTES',
  maxChannelsPerSocket: 'MAWJLY_MAX_CHANNELS_PER_SOCKET',
  maxPresencePerSocket: 'MAWJLY_MAX_PRESENCE_PER_SOCKET',
  drainDelayMs: 'MAWJLY_DRAIN_DELAY_MS',
  shutdownGraceSeconds: 'MAWJLY_SHUTDOWN_GRACE_S',
  cacheTtlSeconds: 'MAWJLY_CACHE_TTL_S',
  checkEncryptedEnvelope: 'MAWJLY_CHECK_ENCRYPTED_ENVELOPE',
  plansFile: 'MAWJLY_PLANS_FILE',
  trustProxy: 'MAWJLY_TRUST_PROXY',
  tlsCert: 'TLS_CERT',
  tlsKey: 'TLS_KEY',
  webhooksAllowPrivateTargets: 'MAWJLY_WEBHOOKS_ALLOW_PRIVATE_TARGETS',
  webhooksTimeoutMs: 'MAWJLY_WEBHOOKS_TIMEOUT_MS',
  webhooksRetryForMs: 'MAWJLY_WEBHOOKS_RETRY_FOR_MS',
  webhooksRetryBaseMs: 'MAWJLY_WEBHOOKS_RETRY_BASE_MS',
  webhooksRetryMaxMs: 'MAWJLY_WEBHOOKS_RETRY_MAX_MS',
  webhooksBatchMs: 'MAWJLY_WEBHOOKS_BATCH_MS',
  webhooksHoldMs: 'MAWJLY_WEBHOOKS_HOLD_MS',
  webhooksLeaseMs: 'MAWJLY_WEBHOOKS_LEASE_MS',
  webhooksPollMs: 'MAWJLY_WEBHOOKS_POLL_MS',
  webhooksConcurrency: 'MAWJLY_WEBHOOKS_CONCURRENCY',
  webhooksEndpointConcurrency: 'MAWJLY_WEBHOOKS_ENDPOINT_CONCURRENCY',
  webhooksLogRetentionHours: 'MAWJLY_WEBHOOKS_LOG_RETENTION_H',
  transport: 'MAWJLY_TRANSPORT',
  youngGenerationMb: 'MAWJLY_YOUNG_GENERATION_MB',
  warmUp: 'MAWJLY_WARM_UP',
  logLevel: 'LOG_LEVEL',
};

/** Reads the environment, then applies explicit overrides (CLI flags, tests). Throws a readable error. */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: ConfigInput = {}): Config {
  const fromEnv: Record<string, string> = {};
  for (const [key, name] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const result = configSchema.safeParse({ ...fromEnv, ...overrides });
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.join('.');
      return `  ${(ENV_VARS as Record<string, string | undefined>)[key] ?? key}: ${issue.message}`;
    });
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
