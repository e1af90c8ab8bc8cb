// `/team`: dashboard users of the caller's account and their roles.
import { z } from 'zod';
import { ROLES, type Role } from '../../../management/store.js';
import { validate } from '../../../management/validation.js';
import { userJson } from '../../../management/json-views.js';
import { route, type Route } from './route.js';

const role = z.enum(ROLES as [Role, ...Role[]]);
const createSchema = z.strictObject({ email: z.string(), password: z.string(), role });
const patchSchema = z.strictObject({ role });

export const teamRoutes: readonly Route[] = [
  route('GET', '/team', 'account:read', async ({ management, principal }) => {
    const users = await management.team.list(principal.account.id);
    return { status: 200, body: { members: users.map(userJson) } };
  }),

  route('POST', '/team', 'account:write', async ({ management, principal, body }) => {
    const input = validate(createSchema, await body());
    const user = await management.team.create(
      principal.account.id,
      input,
      principal.actor,
      principal.authority,
    );
    return { status: 201, body: userJson(user) };
  }),

  route('PATCH', '/team/:id', 'account:write', async ({ management, principal, params, body }) => {
    const input = validate(patchSchema, await body());
    const user = await management.team.updateRole(
      principal.account.id,
      params.id ?? '',
      input.role,
      principal.actor,
      principal.authority,
    );
    return { status: 200, body: userJson(user) };
  }),

  route('DELETE', '/team/:id', 'account:write', async ({ management, principal, params }) => {
    await management.team.remove(principal.account.id, params.id ?? '', principal.actor, principal.authority);
    return { status: 204 };
  }),
];
