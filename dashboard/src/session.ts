import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Account, Plan, Role, SessionInfo } from './api.js';

export interface SessionState {
  readonly session: SessionInfo;
  readonly account: Account | undefined;
  readonly plan: Plan | undefined;
  readonly refreshAccount: () => void;
}

export const SessionContext = createContext<SessionState | undefined>(undefined);

export function useSession(): SessionState {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in page');
  return value;
}

/** What the UI offers per role; the API enforces the same rules (docs/management-api.md, Scopes). */
export function can(role: Role, action: 'write' | 'secrets' | 'keys' | 'tokens' | 'team'): boolean {
  switch (action) {
    case 'write':
    case 'secrets':
    case 'keys':
      return role !== 'viewer';
    case 'tokens':
    case 'team':
      return role === 'owner' || role === 'admin';
  }
}

/**
 * Roles a member with `role` may give, and whose holders they may change or remove: owners all of
 * them, admins all but owner (docs/security.md). The API enforces the same rule.
 */
export function grantableRoles(role: Role): readonly Role[] {
  if (role === 'owner') return ['owner', 'admin', 'developer', 'viewer'];
  if (role === 'admin') return ['admin', 'developer', 'viewer'];
  return [];
}
