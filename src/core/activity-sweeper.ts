// One shared timer for every socket of the engine (not a timer per socket): server pings after
// `activity_timeout` of silence, 4201 when no frame follows within the pong timeout, and 4009 for
// sockets of apps with authorized connections that neither signed in nor joined a private channel.
import type { EngineLimits } from './engine-options.js';
import type { Session } from './session.js';
import { PING_FRAME } from '../protocol/codec.js';
import type { ErrorCode } from '../protocol/errors.js';

/** How often the sweep runs: a quarter of the shortest deadline, between 50 ms and 1 s. */
export function sweepIntervalMs(limits: EngineLimits): number {
  return Math.max(
    50,
    Math.min(
      1000,
      limits.activityTimeoutSeconds * 250,
      limits.pongTimeoutMs / 4,
      limits.authorizationTimeoutMs / 4,
    ),
  );
}

export function sweepSessions(
  sessions: Iterable<Session>,
  limits: EngineLimits,
  nowMs: number,
  terminate: (session: Session, code: ErrorCode) => void,
): void {
  const idleMs = limits.activityTimeoutSeconds * 1000;
  for (const session of sessions) {
    if (session.pingSentAtMs !== 0) {
      if (nowMs - session.pingSentAtMs >= limits.pongTimeoutMs) terminate(session, 'pong_timeout');
    } else if (nowMs - session.lastActivityMs >= idleMs) {
      session.pingSentAtMs = nowMs;
      session.send(PING_FRAME);
    }
    if (
      !session.closed &&
      !session.authorized &&
      session.app.settings.authorizedConnections &&
      nowMs - session.openedAtMs >= limits.authorizationTimeoutMs
    ) {
      terminate(session, 'authorization_timeout');
    }
  }
}

/** Runs the sweep (and `also`, e.g. the cache's) on one unref'd interval; returns it for clearInterval. */
export function startSweeper(
  sessions: { values(): Iterable<Session> },
  limits: EngineLimits,
  clock: { now(): number },
  terminate: (session: Session, code: ErrorCode) => void,
  also: (nowMs: number) => void,
): NodeJS.Timeout {
  const timer = setInterval(() => {
    const now = clock.now();
    sweepSessions(sessions.values(), limits, now, terminate);
    also(now);
  }, sweepIntervalMs(limits));
  timer.unref();
  return timer;
}
