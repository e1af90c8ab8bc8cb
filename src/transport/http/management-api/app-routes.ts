// `/apps`, `/apps/{id}`, `/apps/{id}/secret`, `/apps/{id}/rotate-secret`.
import { z } from 'zod';
import { appSettingsPatchSchema } from '../../../management/app-settings.js';
import { MAX_GRACE_SECONDS } from '../../../management/apps.js';
import { validate } from '../../../management/validation.js';
import { appJson, iso } from '../../../management/json-views.js';
import { route, type Route } from './route.js';

const createSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  settings: appSettingsPatchSchema.optional(),
});
const patchSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  settings: appSettingsPatchSchema.optional(),
});
const rotateSchema = z.strictObject({
  grace_period_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional(),
});

export const appRoutes: readonly Route[] = [
  route('GET', '/apps', 'apps:read', async ({ management, principal, deps }) => {
    const apps = await management.apps.list(principal.account.id);
    return { status: 200, body: { apps: apps.map((a) => appJson(a, deps.clusterName)) } };
  }),

  route('POST', '/apps', 'apps:write', async ({ management, principal, deps, body }) => {
    const input = validate(createSchema, await body());
    const app = await management.apps.create(
      principal.account,
      {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.settings !== undefined ? { settings: input.settings } : {}),
      },
      principal.actor,
    );
    return { status: 201, body: appJson(app, deps.clusterName, { revealSecret: true }) };
  }),

  route('GET', '/apps/:id', 'apps:read', async ({ management, principal, deps, params }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    return { status: 200, body: appJson(app, deps.clusterName) };
  }),

  route('PATCH', '/apps/:id', 'apps:write', async ({ management, principal, deps, params, body }) => {
    const patch = validate(patchSchema, await body());
    const app = await management.apps.update(
      principal.account,
      params.id ?? '',
      {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.settings !== undefined ? { settings: patch.settings } : {}),
      },
      principal.actor,
    );
    return { status: 200, body: appJson(app, deps.clusterName) };
  }),

  route('DELETE', '/apps/:id', 'apps:write', async ({ management, principal, params }) => {
    await management.apps.delete(principal.account.id, params.id ?? '', principal.actor);
    return { status: 204 };
  }),

  route('GET', '/apps/:id/secret', 'apps:secrets', async ({ management, principal, params }) => {
    const secret = await management.apps.revealSecret(principal.account.id, params.id ?? '', principal.actor);
    return { status: 200, body: { secret } };
  }),

  route(
    'POST',
    '/apps/:id/rotate-secret',
    'apps:secrets',
    async ({ management, principal, params, body }) => {
      const input = validate(rotateSchema, await body());
      const result = await management.apps.rotateSecret(
        principal.account.id,
        params.id ?? '',
        input.grace_period_seconds ?? 0,
        principal.actor,
      );
      return {
        status: 200,
        body: { secret: result.secret, previous_valid_until: iso(result.previousValidUntil) },
      };
    },
  ),
];
