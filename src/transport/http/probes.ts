import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterHealth } from '../../core/ports/adapter.js';

/** One dependency `/ready` reports on. */
export interface ReadinessCheck {
  /** Its key in the `/ready` body (`bus`, …). */
  readonly name: string;
  /** `ok: false` with `required: true` makes `/ready` answer 503; the rest of the object is the detail. */
  check(): { readonly ok: boolean; readonly required: boolean; readonly [detail: string]: unknown };
}

export interface ProbeState {
  /** True once the server accepts connections, false again while draining. */
  ready: boolean;
  /** Dependencies named in the `/ready` body. */
  checks?: readonly ReadinessCheck[];
}

/**
 * `GET /health`: the process is alive (always 200). `GET /ready`: accepting traffic — 200 `ok` (or
 * `degraded` when only a dependency that is not required fails), 503 `draining` during shutdown,
 * 503 `unavailable` naming the failing dependencies in `failing`, with every check's detail.
 */
export function handleProbe(req: IncomingMessage, res: ServerResponse, url: URL, state: ProbeState): boolean {
  if (url.pathname !== '/health' && url.pathname !== '/ready') return false;
  let status = 200;
  let body: Record<string, unknown> = { status: 'ok' };
  if (url.pathname === '/ready') {
    if (!state.ready) {
      status = 503;
      body = { status: 'draining' };
    } else if (state.checks && state.checks.length > 0) {
      const checks: Record<string, unknown> = {};
      const failing: string[] = [];
      let degraded = false;
      for (const readiness of state.checks) {
        const result = readiness.check();
        checks[readiness.name] = result;
        if (!result.ok && result.required) failing.push(readiness.name);
        else if (!result.ok) degraded = true;
      }
      if (failing.length > 0) {
        status = 503;
        body = { status: 'unavailable', failing, checks };
      } else body = { status: degraded ? 'degraded' : 'ok', checks };
    }
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
  return true;
}

/** The cluster bus as a readiness check: failing while the bus is lost, required unless configured off. */
export function busReadiness(health: () => ClusterHealth, required: boolean): ReadinessCheck {
  return {
    name: 'bus',
    check: () => {
      const h = health();
      return {
        ok: h.state === 'connected',
        required,
        bus: h.bus,
        state: h.state,
        since: new Date(h.since).toISOString(),
        peers: h.peers,
      };
    },
  };
}
