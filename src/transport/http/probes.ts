import type { ClusterHealth } from '../../core/ports/adapter.js';
import type { HttpResponse } from './exchange.js';

/**
 * The outcome of one readiness check. `detail` says why it fails (never a secret). A failing check
 * with `required: false` leaves `/ready` at 200 with status `degraded`; any other failing check makes
 * it 503. Further fields are the check's own detail, reported as they are.
 */
export interface CheckResult {
  readonly ok: boolean;
  /** Whether a failure makes the node unready (default true). */
  readonly required?: boolean;
  readonly detail?: string;
  /** Since when it is in its current state (epoch ms or ISO time), if known. */
  readonly since?: number | string;
  readonly [detail: string]: unknown;
}

/**
 * One dependency `/ready` reports on, by name (`store`, `bus`, …). `check` must settle quickly
 * (bound it by its own timeout); a check that throws counts as failing.
 */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<CheckResult> | CheckResult;
}

export interface ProbeState {
  /** True once the server accepts connections, false again while draining. */
  ready: boolean;
  /** Dependencies that must all pass for `/ready` to answer 200. */
  readonly checks: ReadinessCheck[];
}

/** Longest a single check may take before it counts as failing (its own bound should be shorter). */
const CHECK_LIMIT_MS = 5000;

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(() => check.check()),
      new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => {
          resolve({ ok: false, detail: `no answer within ${String(CHECK_LIMIT_MS)} ms` });
        }, CHECK_LIMIT_MS);
      }),
    ]);
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : 'check failed' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /health`: liveness only (the process answers), always 200.
 * `GET /ready`: 503 `{"status":"draining"}` while draining; otherwise every check runs and the
 * answer is 200 `{"status":"ok","checks":{…}}` (`degraded` when only a check that is not required
 * fails) or 503 `{"status":"unavailable","failing":[…],"checks":{…}}` naming each failing required
 * dependency and why.
 */
export function health(res: HttpResponse): void {
  sendProbe(res, 200, { status: 'ok' });
}

/** `GET /ready`, see above. Any method is answered (HEAD without the body). */
export function ready(res: HttpResponse, state: ProbeState): void {
  const send = (status: number, body: unknown): void => {
    sendProbe(res, status, body);
  };
  if (!state.ready) {
    send(503, { status: 'draining' });
    return;
  }
  void Promise.all(state.checks.map(runCheck)).then((results) => {
    const checks: Record<string, CheckResult> = {};
    const failing: string[] = [];
    let degraded = false;
    for (const [i, check] of state.checks.entries()) {
      const result = results[i] ?? { ok: false };
      checks[check.name] = result;
      if (result.ok) continue;
      if (result.required === false) degraded = true;
      else failing.push(check.name);
    }
    // Draining may have begun while the checks ran.
    if (!state.ready) send(503, { status: 'draining' });
    else if (failing.length > 0) send(503, { status: 'unavailable', failing, checks });
    else send(200, { status: degraded ? 'degraded' : 'ok', checks });
  });
}

const PROBE_HEADERS = Object.freeze({ 'content-type': 'application/json', 'cache-control': 'no-store' });

function sendProbe(res: HttpResponse, status: number, body: unknown): void {
  res.send(status, PROBE_HEADERS, JSON.stringify(body));
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
