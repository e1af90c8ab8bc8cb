// Messages between nodes: a discriminated union with a version, JSON on the wire. Every node applies
// the same replicated state from them (see cluster-adapter.ts).

export const CLUSTER_PROTOCOL_VERSION = 1;

interface Base {
  readonly v: number;
  /** Sending node. */
  readonly n: string;
}

export type ClusterMessage =
  | (Base & {
      readonly t: 'pub';
      readonly a: string;
      readonly c: string;
      readonly x?: string;
      readonly m: string;
    })
  | (Base & { readonly t: 'sub'; readonly a: string; readonly c: string; readonly k: number })
  | (Base & {
      readonly t: 'mem';
      readonly a: string;
      readonly c: string;
      readonly u: string;
      readonly k: number;
      readonly i?: string;
    })
  | (Base & { readonly t: 'usr'; readonly a: string; readonly u: string; readonly k: number })
  | (Base & { readonly t: 'term'; readonly a: string; readonly u: string })
  | (Base & { readonly t: 'app'; readonly a: string })
  | (Base & { readonly t: 'ctr'; readonly vals: Readonly<Record<string, number>> })
  /**
   * Heartbeat. `d`: digest of the sender's share (see ClusterState.digest); a receiver whose copy of
   * that share has another digest asks for a snapshot. `q`: the sender just (re)joined the bus and
   * asks every node to answer at once with its own heartbeat, so both sides compare digests now.
   */
  | (Base & { readonly t: 'hb'; readonly d?: string; readonly q?: 1 })
  | (Base & { readonly t: 'hello' })
  | (Base & { readonly t: 'bye' })
  /** Asks node `to` for a snapshot of its share (it was unknown here, e.g. expired while alive). */
  | (Base & { readonly t: 'sync'; readonly to: string })
  | (Base & { readonly t: 'snap'; readonly to: string; readonly s: Snapshot });

/** One node's own share of the replicated state. */
export interface Snapshot {
  readonly subs: readonly (readonly [app: string, channel: string, count: number])[];
  readonly mem: readonly (readonly [
    app: string,
    channel: string,
    user: string,
    count: number,
    info: string | null,
  ])[];
  readonly usr: readonly (readonly [app: string, user: string, count: number])[];
  readonly ctr: Readonly<Record<string, number>>;
}

/**
 * Reads one bus message, checking every field its type needs: anything else on the bus (another
 * version, another program, corruption) is dropped here, so the replicated state never holds a
 * non-number count and no handler throws on a missing field.
 */
export function parseClusterMessage(text: string): ClusterMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  if (value.v !== CLUSTER_PROTOCOL_VERSION || !isString(value.n)) return undefined;
  return isValid(value) ? (value as unknown as ClusterMessage) : undefined;
}

function isValid(m: Record<string, unknown>): boolean {
  switch (m.t) {
    case 'pub':
      return isString(m.a) && isString(m.c) && isString(m.m) && (m.x === undefined || isString(m.x));
    case 'sub':
      return isString(m.a) && isString(m.c) && isCount(m.k);
    case 'mem':
      return (
        isString(m.a) &&
        isString(m.c) &&
        isString(m.u) &&
        isCount(m.k) &&
        (m.i === undefined || isString(m.i))
      );
    case 'usr':
      return isString(m.a) && isString(m.u) && isCount(m.k);
    case 'term':
      return isString(m.a) && isString(m.u);
    case 'app':
      return isString(m.a);
    case 'ctr':
      return isCounterValues(m.vals);
    case 'hb':
      return (m.d === undefined || isString(m.d)) && (m.q === undefined || m.q === 1);
    case 'hello':
    case 'bye':
      return true;
    case 'sync':
      return isString(m.to);
    case 'snap':
      return isString(m.to) && isSnapshot(m.s);
    default:
      return false;
  }
}

function isSnapshot(s: unknown): boolean {
  if (!isRecord(s)) return false;
  const { subs, mem, usr, ctr } = s;
  return (
    Array.isArray(subs) &&
    subs.every((e) => isTuple(e, 3) && isString(e[0]) && isString(e[1]) && isCount(e[2])) &&
    Array.isArray(mem) &&
    mem.every(
      (e) =>
        isTuple(e, 5) &&
        isString(e[0]) &&
        isString(e[1]) &&
        isString(e[2]) &&
        isCount(e[3]) &&
        (e[4] === null || isString(e[4])),
    ) &&
    Array.isArray(usr) &&
    usr.every((e) => isTuple(e, 3) && isString(e[0]) && isString(e[1]) && isCount(e[2])) &&
    isCounterValues(ctr)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** Socket and subscription counts: whole numbers, never negative. */
function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isTuple(value: unknown, length: number): value is unknown[] {
  return Array.isArray(value) && value.length === length;
}

/** Counters are one node's running sum of deltas: whole numbers, possibly negative for a moment. */
function isCounterValues(value: unknown): boolean {
  return isRecord(value) && Object.values(value).every((v) => Number.isSafeInteger(v));
}

const SNAP_MARKER = '"t":"snap","to":';

/**
 * True for a snapshot addressed to another node, read from its first bytes: snapshots are broadcast
 * like everything else and can weigh hundreds of KiB, so the nodes it is not for skip the parse.
 * Anything unexpected (another field order, a node id needing escapes) is parsed as usual.
 */
export function snapshotForAnother(text: string, self: string): boolean {
  if (text.length < 1024) return false;
  const at = text.indexOf(SNAP_MARKER);
  if (at < 0 || at > 256) return false;
  const start = at + SNAP_MARKER.length;
  const end = text.indexOf(',"s":', start);
  if (end < 0 || end - start > 256) return false;
  try {
    const to: unknown = JSON.parse(text.slice(start, end));
    return typeof to === 'string' && to !== self;
  } catch {
    return false;
  }
}
