// The engine's reaction to a change of an app's record (management API, apps file reload): a
// deleted app closes its sockets (4001), a disabled one too (4003); otherwise the sessions see the
// new record (plan limits, settings) from their next frame on.
import type { App } from './app.js';
import type { HistoryService } from './history-service.js';
import type { Session } from './session.js';
import type { ErrorCode } from '../protocol/errors.js';

export interface AppChangeHost {
  readonly history: HistoryService | undefined;
  terminate(session: Session, code: ErrorCode, message?: string): void;
}

/** `sessions`: this node's sessions of the app. */
export function applyAppChange(
  host: AppChangeHost,
  sessions: readonly Session[],
  appId: string,
  app: App | undefined,
): void {
  host.history?.appChanged(appId, app);
  if (!app) {
    for (const session of sessions) host.terminate(session, 'app_not_found', 'Application was deleted');
    return;
  }
  if (!app.settings.enabled) {
    for (const session of sessions) host.terminate(session, 'app_disabled');
    return;
  }
  for (const session of sessions) session.app = app;
}
