// The JetStream side of NatsHistory: the stream's configuration, direct gets, and error shapes.
import { DiscardPolicy, nanos, StorageType, type JetStreamManager, type StoredMsg } from 'nats';

export interface HistoryStreamOptions {
  /** Stream-wide limits when the stream is created (defaults 10 000 and 24 h): the plan ceilings. */
  readonly maxEventsCap?: number;
  readonly maxAgeCapMs?: number;
  /** Used when the stream is created (defaults 1 and file). */
  readonly replicas?: number;
  readonly storage?: 'file' | 'memory';
}

/**
 * Creates the stream with these limits, or turns on direct gets (which reads need) on an existing one.
 * Its limits, replicas and storage are then the operator's (`nats stream edit`): smaller limits only
 * shorten what can be recovered, and readers are told when they cannot (`complete: false`).
 */
export async function ensureHistoryStream(
  jsm: JetStreamManager,
  name: string,
  prefix: string,
  options: HistoryStreamOptions,
): Promise<void> {
  const maxAgeMs = options.maxAgeCapMs ?? 86_400_000;
  const config = {
    name,
    subjects: [`${prefix}.history.>`],
    max_msgs_per_subject: options.maxEventsCap ?? 10_000,
    max_age: nanos(maxAgeMs),
    duplicate_window: nanos(Math.min(maxAgeMs, 120_000)),
    discard: DiscardPolicy.Old,
    allow_direct: true,
    storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: options.replicas ?? 1,
  };
  try {
    const current = (await jsm.streams.info(name)).config;
    if (!current.allow_direct) await jsm.streams.update(name, { allow_direct: true });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    // Two nodes starting at once both add it; the same config makes the second add a no-op.
    await jsm.streams.add(config);
  }
}

export type DirectQuery = { seq: number; next_by_subj: string } | { last_by_subj: string };

/** A direct get (`jsm.direct`, NATS ≥ 2.9: the manager has it, its published type does not list it). */
export async function directGet(
  jsm: JetStreamManager,
  stream: string,
  query: DirectQuery,
): Promise<StoredMsg> {
  const direct = (jsm as unknown as { direct: { getMessage(s: string, q: DirectQuery): Promise<StoredMsg> } })
    .direct;
  return direct.getMessage(stream, query);
}

/** A token for a subject: base64url never contains `.`, `*`, `>` or white space. */
export function encodeToken(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export function apiCode(error: unknown): number | undefined {
  const api = (error as { api_error?: { err_code?: number } } | undefined)?.api_error;
  return api?.err_code;
}

export function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  const api = (error as { api_error?: { code?: number } } | undefined)?.api_error;
  return code === '404' || api?.code === 404 || /not found/i.test(String(error));
}
