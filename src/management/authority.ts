// Who may grant what (docs/security.md, "Roles and scopes"). A caller is bounded twice: by its role
// (a signed-in team member's, or the role of the member a token acts for) and by its scopes. Nobody
// hands out a role or a scope they do not hold; only owners make, change or remove owners. The
// operator (the `mawjly` CLI, the server's own first run) is bound by neither.
import { MawjlyError } from '../protocol/errors.js';
import { ROLE_SCOPES, SCOPES, type Scope } from './api-tokens.js';
import type { Role } from './store.js';

export interface Authority {
  /** The caller's role; `operator` for the CLI and the server itself. */
  readonly role: Role | 'operator';
  readonly scopes: ReadonlySet<Scope>;
}

export const OPERATOR: Authority = Object.freeze({ role: 'operator', scopes: new Set<Scope>(SCOPES) });

const RANK: Readonly<Record<Role | 'operator', number>> = {
  viewer: 0,
  developer: 1,
  admin: 2,
  owner: 3,
  operator: 4,
};

/** The authority of a team member signed in with this role. */
export function roleAuthority(role: Role): Authority {
  return { role, scopes: new Set(ROLE_SCOPES[role]) };
}

/** Whether the caller may change or remove a member who has `role`: owners only by owners. */
export function mayManage(authority: Authority, role: Role): boolean {
  if (authority.role === 'operator') return true;
  if (role === 'owner') return authority.role === 'owner';
  return RANK[authority.role] >= RANK[role];
}

/** Whether the caller may give `role` to a member: it manages that role and holds all its scopes. */
export function mayGrantRole(authority: Authority, role: Role): boolean {
  return mayManage(authority, role) && ROLE_SCOPES[role].every((s) => authority.scopes.has(s));
}

/** Scopes of `scopes` the caller does not hold. */
export function scopesBeyond(authority: Authority, scopes: readonly string[]): string[] {
  return scopes.filter((s) => !authority.scopes.has(s as Scope));
}

export function assertMayGrantRole(authority: Authority, role: Role): void {
  if (mayGrantRole(authority, role)) return;
  throw new MawjlyError(
    'insufficient_role',
    role === 'owner'
      ? 'Only an owner can make a member owner'
      : `Cannot give the ${role} role: the caller does not hold every right of that role`,
  );
}

export function assertMayManage(authority: Authority, role: Role): void {
  if (mayManage(authority, role)) return;
  throw new MawjlyError(
    'insufficient_role',
    role === 'owner'
      ? 'Only an owner can change or remove an owner'
      : `Cannot change or remove a member with the ${role} role`,
  );
}
