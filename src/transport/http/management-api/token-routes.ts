// `/tokens`: API tokens of the caller's account. The token itself is in the 201 reply only.
import { z } from 'zod';
import { isScope } from '../../../management/api-tokens.js';
import { MAX_TOKEN_DAYS } from '../../../management/tokens.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { validate } from '../../../management/validation.js';
import { tokenJson } from './json-views.js';
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
    // A caller can hand out only scopes it holds itself; without a list, the new token gets all of them.
    const beyond = (input.scopes ?? []).filter((scope) => isScope(scope) && !principal.scopes.has(scope));
    if (beyond.length > 0) {
      throw new MawjlyError(
        'insufficient_scope',
        `Cannot grant scopes the caller does not have: ${beyond.map((s) => `'${s}'`).join(', ')}`,
      );
    }
    const scopes = input.scopes ?? [...principal.scopes];
    const { record, token } = await management.tokens.create(
      principal.account.id,
      {
        name: input.name,
        scopes,
        ...(input.expires_in_days !== undefined ? { expiresInDays: input.expires_in_days } : {}),
      },
      principal.actor,
    );
    return { status: 201, body: { ...tokenJson(record), token } };
  }),

  route('DELETE', '/tokens/:id', 'tokens:write', async ({ management, principal, params }) => {
    await management.tokens.revoke(principal.account.id, params.id ?? '', principal.actor);
    return { status: 204 };
  }),
];
