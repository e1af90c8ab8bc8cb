// `/apps/{id}/encryption-key`: generate (once), rotate (with confirmation and an optional window
// during which the replaced key stays "previous"), finish the rotation, status, retire. The key is in
// the body of the 201/200 reply and nowhere else.
import { MawjlyError } from '../../../protocol/errors.js';
import { iso, keyHistoryJson } from '../../../management/json-views.js';
import { route, type Route } from './route.js';

export const encryptionKeyRoutes: readonly Route[] = [
  route('POST', '/apps/:id/encryption-key', 'keys:write', async ({ management, principal, params }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    const issued = await management.encryptionKeys.generate(principal.account, app, principal.actor);
    return {
      status: 201,
      body: {
        key_base64: issued.keyBase64,
        fingerprint: issued.record.fingerprint,
        version: issued.record.version,
        created_at: iso(issued.record.createdAt),
      },
    };
  }),

  route(
    'POST',
    '/apps/:id/encryption-key/rotate',
    'keys:write',
    async ({ management, principal, params, body }) => {
      const app = await management.apps.get(principal.account.id, params.id ?? '');
      const input = await body();
      if (input.confirm !== true) throw new MawjlyError('confirmation_required');
      const window = input.window_seconds ?? 0;
      const issued = await management.encryptionKeys.rotate(
        principal.account,
        app,
        true,
        principal.actor,
        typeof window === 'number' ? window : Number.NaN,
      );
      return {
        status: 200,
        body: {
          key_base64: issued.keyBase64,
          fingerprint: issued.record.fingerprint,
          version: issued.record.version,
          created_at: iso(issued.record.createdAt),
          previous_fingerprint: issued.previous.fingerprint,
          previous_version: issued.previous.version,
          previous_until: iso(issued.previous.previousUntil),
        },
      };
    },
  ),

  route(
    'POST',
    '/apps/:id/encryption-key/finish-rotation',
    'keys:write',
    async ({ management, principal, params }) => {
      const app = await management.apps.get(principal.account.id, params.id ?? '');
      const previous = await management.encryptionKeys.finishRotation(
        principal.account,
        app,
        principal.actor,
      );
      return {
        status: 200,
        body: {
          previous_fingerprint: previous.fingerprint,
          previous_version: previous.version,
          previous_until: iso(previous.previousUntil),
        },
      };
    },
  ),

  route('GET', '/apps/:id/encryption-key', 'apps:read', async ({ management, principal, params }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    const { active, previous, history } = await management.encryptionKeys.status(app);
    return {
      status: 200,
      body: {
        status: active ? 'active' : 'none',
        fingerprint: active?.fingerprint ?? null,
        version: active?.version ?? null,
        created_at: active ? iso(active.createdAt) : null,
        created_by: active?.createdBy ?? null,
        previous: previous
          ? {
              fingerprint: previous.fingerprint,
              version: previous.version,
              until: iso(previous.previousUntil),
            }
          : null,
        history: history.map(keyHistoryJson),
      },
    };
  }),

  route('DELETE', '/apps/:id/encryption-key', 'keys:write', async ({ management, principal, params }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    await management.encryptionKeys.retire(principal.account, app, principal.actor);
    return { status: 204 };
  }),
];
