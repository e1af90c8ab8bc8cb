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
  | (Base & { readonly t: 'hb' })
  | (Base & { readonly t: 'hello' })
  | (Base & { readonly t: 'bye' })
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

export function parseClusterMessage(text: string): ClusterMessage | undefined {
  try {
    const value = JSON.parse(text) as Partial<ClusterMessage> | null;
    if (value === null || typeof value !== 'object') return undefined;
    if (value.v !== CLUSTER_PROTOCOL_VERSION || typeof value.n !== 'string' || typeof value.t !== 'string')
      return undefined;
    return value as ClusterMessage;
  } catch {
    return undefined;
  }
}
