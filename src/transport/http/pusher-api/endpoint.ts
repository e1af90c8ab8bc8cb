// What every Pusher REST endpoint gets (after authentication) and may answer.
import type { App } from '../../../core/app.js';
import type { Engine } from '../../../core/engine.js';
import type { QueryPairs } from './api-target.js';

export interface RequestContext {
  readonly engine: Engine;
  readonly app: App;
  /** Decoded path parameters: the app id first, then the route's own. */
  readonly params: readonly string[];
  readonly query: QueryPairs;
  readonly body: Buffer;
}

/** What most endpoints answer; sent from a ready-made response. */
export const EMPTY_RESULT = Object.freeze({});

/** An endpoint answers its result as JSON (EMPTY_RESULT: `{}`), or throws a MawjlyError. */
export type EndpointHandler = (ctx: RequestContext) => unknown;
