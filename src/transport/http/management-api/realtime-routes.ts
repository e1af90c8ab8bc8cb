// Routes that need the live engine (the RealtimeView port): app usage, channels, presence users,
// the event creator and the debug console stream.
import { z } from 'zod';
import type { App } from '../../../core/app.js';
import type { RealtimeView } from '../../../core/ports/realtime-view.js';
import type { Management } from '../../../management/management.js';
import { validate } from '../../../management/validation.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { MAX_CHANNELS_PER_PUBLISH } from '../../../protocol/limits.js';
import { SseStream } from '../sse-stream.js';
import { channelJson } from './json-views.js';
import { route, type Route } from './route.js';

const HEARTBEAT_MS = 15_000;

const publishSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    channel: z.string().min(1).max(200).optional(),
    channels: z.array(z.string().min(1).max(200)).min(1).max(MAX_CHANNELS_PER_PUBLISH).optional(),
    data: z.unknown(),
    socket_id: z.string().max(100).optional(),
  })
  .refine((v) => (v.channel === undefined) !== (v.channels === undefined), {
    error: 'give exactly one of "channel" or "channels"',
  });

function realtimeOf(management: Management): RealtimeView {
  const view = management.realtime();
  if (!view) throw new MawjlyError('realtime_unavailable');
  return view;
}

async function liveApp(management: Management, accountId: string, id: string): Promise<App> {
  const record = await management.apps.get(accountId, id);
  const app = management.directory.findById(record.id);
  if (!app) throw new MawjlyError('not_found', `Unknown app ${record.id}`);
  return app;
}

export const realtimeRoutes: readonly Route[] = [
  route('GET', '/apps/:id/usage', 'apps:read', async ({ management, principal, params }) => {
    const app = await liveApp(management, principal.account.id, params.id ?? '');
    return {
      status: 200,
      body: {
        connections: management.realtime()?.connectionCount(app.id) ?? 0,
        messages_today: management.usage.appMessagesToday(app.id),
        account_messages_today: management.usage.messagesToday(app.accountId),
      },
    };
  }),

  route('GET', '/apps/:id/channels', 'apps:read', async ({ management, principal, params }) => {
    const app = await liveApp(management, principal.account.id, params.id ?? '');
    const channels = realtimeOf(management).channels(app.id);
    return { status: 200, body: { channels: channels.map(channelJson) } };
  }),

  route('GET', '/apps/:id/channels/:name/users', 'apps:read', async ({ management, principal, params }) => {
    const app = await liveApp(management, principal.account.id, params.id ?? '');
    const name = params.name ?? '';
    if (!name.startsWith('presence-')) throw new MawjlyError('not_presence_channel');
    const users = realtimeOf(management).presenceUsers(app.id, name);
    return { status: 200, body: { users: users.map((u) => ({ id: u.id, user_info: u.userInfo })) } };
  }),

  route('POST', '/apps/:id/events', 'events:write', async ({ management, principal, params, body }) => {
    const app = await liveApp(management, principal.account.id, params.id ?? '');
    const input = validate(publishSchema, await body());
    const data = typeof input.data === 'string' ? input.data : JSON.stringify(input.data ?? null);
    realtimeOf(management).publish(app, {
      name: input.name,
      channels: input.channels ?? (input.channel !== undefined ? [input.channel] : []),
      data,
      ...(input.socket_id !== undefined ? { socketId: input.socket_id } : {}),
    });
    return { status: 200, body: {} };
  }),

  route('GET', '/apps/:id/debug', 'debug:read', async ({ management, principal, params, res, deps }) => {
    const app = await liveApp(management, principal.account.id, params.id ?? '');
    const view = realtimeOf(management);
    // Starts the stream; every write below goes through its bounded send (see SseStream).
    const stream = new SseStream(res, view.maxBufferedBytes, (bufferedBytes) => {
      stop();
      deps.logger?.warn(
        { appId: app.id, bufferedBytes },
        'closing a slow debug stream reader (over_capacity)',
      );
    });
    stream.send(': connected\n\n');
    // The app's backlog first (its last events, through the same bounded send), then live ones.
    const unsubscribe = view.onDebugEvent(
      app.id,
      (event) => {
        const json = {
          type: event.type,
          time: new Date(event.time).toISOString(),
          ...(event.socketId !== undefined ? { socket_id: event.socketId } : {}),
          ...(event.channel !== undefined ? { channel: event.channel } : {}),
          ...(event.event !== undefined ? { event: event.event } : {}),
          ...(event.data !== undefined ? { data: event.data } : {}),
          ...(event.userId !== undefined ? { user_id: event.userId } : {}),
          ...(event.message !== undefined ? { message: event.message } : {}),
        };
        stream.send(`id: ${event.id}\ndata: ${JSON.stringify(json)}\n\n`);
      },
      { replay: true },
    );
    const heartbeat = setInterval(() => stream.send(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    let stopped = false;
    function stop(): void {
      if (stopped) return;
      stopped = true;
      clearInterval(heartbeat);
      unsubscribe();
    }
    res.onClose(stop);
    return 'streaming';
  }),
];
