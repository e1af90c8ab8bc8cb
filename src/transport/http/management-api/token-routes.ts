// `/tokens`: API tokens of the caller's account. The token itself is in the 201 reply only.
import { z } from 'zod';
import { MAX_TOKEN_DAYS } from '../../../management/tokens.js';
import { validate } from '../../../management/validation.js';
import { tokenJson } from '../../../management/json-views.js';
import { route, type Route } from './route.js';

const createSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.string()).optional(),
  expires_in_days: z.number().int().min(1).max(MAX_TOKEN_DAYS).optional(),
});

export const tokenRoutes: readonly Route[] = [
  route('GET', '/tokens', 'account:read', async ({ management, principal }) => {
    const tokens = await management.tokens.list(principal.account.id);
    return { status: 200, body: { tokens: tokens.map(tokenJson) } };
  }),

  route('POST', '/tokens', 'tokens:write', async ({ management, principal, body }) => {
    const input = validate(createSchema, await body());
    // A caller hands out only scopes it holds; without a list, the new token gets all of the caller's.
    // The new token acts for the caller's holder (the member, or the operator), not for the caller.
    const { record, token } = await management.tokens.create(
      principal.account.id,
      {
        name: input.name,
        ...(input.scopes !== undefined ? { scopes: input.scopes } : {}),
        ...(input.expires_in_days !== undefined ? { expiresInDays: input.expires_in_days } : {}),
      },
      principal.actor,
      { authority: principal.authority, holder: principal.holder },
    );
    return { status: 201, body: { ...tokenJson(record), token } };
  }),

  route('DELETE', '/tokens/:id', 'tokens:write', async ({ management, principal, params }) => {
    await management.tokens.revoke(
      principal.account.id,
      params.id ?? '',
      principal.actor,
      principal.authority,
    );
    return { status: 204 };
  }),
];
