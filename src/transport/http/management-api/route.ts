// What a management API route is, and what its handler gets.
import type { Logger } from '../../../core/ports/logger.js';
import type { Scope } from '../../../management/api-tokens.js';
import type { Authority } from '../../../management/authority.js';
import type { Management } from '../../../management/management.js';
import type { AccountRecord, Role } from '../../../management/store.js';
import type { HttpRequest, HttpResponse } from '../exchange.js';

/** Who is calling: an API token of an account, or a signed-in dashboard user. */
export interface Principal {
  readonly account: AccountRecord;
  /** Audit actor: `token:<prefix>` or `user:<email>`. */
  readonly actor: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly via: 'token' | 'session';
  readonly role?: Role;
  readonly userId?: string;
  /** Role and scopes that bound what the caller may grant (a token's: those of its holder today). */
  readonly authority: Authority;
  /** On whose behalf: recorded on tokens this caller mints (`user:<email>`, or the operator's actor). */
  readonly holder: string;
}

export interface ManagementApiDeps {
  readonly management: Management;
  /** Cluster name shown in App objects (config.clusterName). */
  readonly clusterName: string;
  readonly logger?: Logger;
  /** Request body limit in bytes (default 64 KB). */
  readonly maxBodyBytes?: number;
  /**
   * Behind a TLS-terminating proxy (MAWJLY_TRUST_PROXY): take the client address from the first
   * `X-Forwarded-For` hop and the scheme from `X-Forwarded-Proto`.
   */
  readonly trustProxy?: boolean;
}

export interface RouteContext {
  readonly req: HttpRequest;
  readonly res: HttpResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly deps: ManagementApiDeps;
  readonly management: Management;
  /** Present on every route except `public` ones. */
  readonly principal: Principal;
  /** The request body parsed as a JSON object (`{}` when empty). */
  readonly body: () => Promise<Record<string, unknown>>;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string | string[]>>;
}

/** `streaming`: the handler wrote the response itself (server-sent events). */
export type RouteResult = Reply | 'streaming';

export interface Route {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path under /api/v1, with `:name` segments, e.g. `/apps/:id/secret`. */
  readonly path: string;
  /** The scope the caller needs; `public` routes need no credentials at all. */
  readonly scope: Scope | 'public' | 'session';
  handle(ctx: RouteContext): Promise<RouteResult>;
}

export function route(
  method: Route['method'],
  path: string,
  scope: Route['scope'],
  handle: Route['handle'],
): Route {
  return { method, path, scope, handle };
}
