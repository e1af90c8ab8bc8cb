import { WEBHOOK_EVENT_TYPES } from '../../core/ports/webhook-store.js';
import { createWebhooks } from '../../server/compose.js';
import { webhookJson } from '../../management/json-views.js';
import { UsageError, type Command } from './command.js';
import { CLI_ACTOR, parse, table, withManagement, writeJson } from './open-management.js';

const usage = `Usage:
  mawjly webhooks list --app ID [--json]
  mawjly webhooks add --app ID --url URL [--events TYPE,…] [--channel-prefix P]
                      [--header "Name: value"]… [--disabled] [--json]
  mawjly webhooks remove --app ID WEBHOOK_ID
  mawjly webhooks test --app ID WEBHOOK_ID [--json]

Webhook endpoints of an app (docs/webhooks.md). --events is a comma-separated list of
${WEBHOOK_EVENT_TYPES.join(', ')} (default: all). The plan's per-app cap applies.
test sends a signed sample batch at once and prints the receiver's status and latency; it exits 1
when the receiver did not answer 2xx.
`;

function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const text of values) {
    const colon = text.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header expects "Name: value", got '${text}'`);
    headers[text.slice(0, colon).trim()] = text.slice(colon + 1).trim();
  }
  return headers;
}

export const webhooksCommand: Command = {
  name: 'webhooks',
  summary: 'list, add, remove and test the webhook endpoints of an app',
  usage,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      app: { type: 'string' },
      url: { type: 'string' },
      events: { type: 'string' },
      'channel-prefix': { type: 'string' },
      header: { type: 'string', multiple: true },
      disabled: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const [sub, ...rest] = positionals;
    const json = values.json === true;
    const write = (s: string): void => void io.stdout.write(s);
    const appId = values.app;
    if (sub !== undefined && appId === undefined) throw new UsageError('--app ID is required');
    const id = appId ?? '';
    switch (sub) {
      case 'list': {
        if (rest.length > 0) throw new UsageError('list takes no positional arguments');
        const { endpoints, counts } = await withManagement(io, async (m) => {
          const app = await m.apps.get(undefined, id);
          return { endpoints: await m.webhooks.list(app), counts: await m.webhooks.counts(app) };
        });
        if (json) writeJson(io, { webhooks: endpoints.map((e) => webhookJson(e, counts.get(e.id))) });
        else
          write(
            table([
              ['ID', 'URL', 'EVENTS', 'ENABLED', 'FAILING'],
              ...endpoints.map((e) => {
                const c = counts.get(e.id);
                return [
                  e.id,
                  e.url,
                  e.eventTypes.length === WEBHOOK_EVENT_TYPES.length ? 'all' : e.eventTypes.join(','),
                  e.enabled ? 'yes' : 'no',
                  c && (c.retrying > 0 || c.dead > 0)
                    ? `${String(c.retrying)} retrying, ${String(c.dead)} dead`
                    : '-',
                ];
              }),
            ]),
          );
        return 0;
      }
      case 'add': {
        if (rest.length > 0) throw new UsageError('add takes no positional arguments');
        if (values.url === undefined) throw new UsageError('--url URL is required');
        const body: Record<string, unknown> = { url: values.url };
        if (values.events !== undefined) body.event_types = values.events.split(',').map((s) => s.trim());
        if (values['channel-prefix'] !== undefined) body.channel_prefix = values['channel-prefix'];
        if (values.header !== undefined) body.headers = parseHeaders(values.header);
        if (values.disabled === true) body.enabled = false;
        const endpoint = await withManagement(io, async (m, config) => {
          const ops = createWebhooks(m, config, { owner: 'cli' });
          try {
            const app = await m.apps.get(undefined, id);
            const account = await m.accounts.get(app.accountId);
            return await m.webhooks.create(account, app, body, CLI_ACTOR);
          } finally {
            await ops.close();
          }
        });
        if (json) writeJson(io, webhookJson(endpoint));
        else write(`${endpoint.id}\n`);
        return 0;
      }
      case 'remove': {
        const [webhookId] = rest;
        if (rest.length !== 1 || webhookId === undefined)
          throw new UsageError('expected exactly one WEBHOOK_ID');
        await withManagement(io, async (m) => {
          const app = await m.apps.get(undefined, id);
          const account = await m.accounts.get(app.accountId);
          await m.webhooks.delete(account, app, webhookId, CLI_ACTOR);
        });
        if (json) writeJson(io, { deleted: webhookId });
        return 0;
      }
      case 'test': {
        const [webhookId] = rest;
        if (rest.length !== 1 || webhookId === undefined)
          throw new UsageError('expected exactly one WEBHOOK_ID');
        const result = await withManagement(io, async (m, config) => {
          const ops = createWebhooks(m, config, { owner: 'cli' });
          try {
            const app = await m.apps.get(undefined, id);
            const account = await m.accounts.get(app.accountId);
            return await m.webhooks.test(account, app, webhookId, CLI_ACTOR);
          } finally {
            await ops.close();
          }
        });
        if (json)
          writeJson(io, {
            ok: result.ok,
            status: result.status,
            latency_ms: result.latencyMs,
            error: result.error,
            body: result.body,
          });
        else
          write(
            result.ok
              ? `ok: HTTP ${String(result.status)} in ${String(result.latencyMs)} ms\n`
              : `failed: ${result.error ?? 'no answer'} (${String(result.latencyMs)} ms)\n`,
          );
        return result.ok ? 0 : 1;
      }
      default:
        throw new UsageError(sub === undefined ? 'missing sub-command' : `unknown sub-command '${sub}'`);
    }
  },
};
