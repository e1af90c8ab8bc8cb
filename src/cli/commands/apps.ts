import { MAX_GRACE_SECONDS } from '../../management/apps.js';
import type { AppRecord } from '../../management/store.js';
import { appJson } from '../../management/json-views.js';
import { UsageError, type Command } from './command.js';
import { CLI_ACTOR, parse, table, withManagement, writeJson } from './open-management.js';

const usage = `Usage:
  mawjly apps create --account NAME [--name N] [--json]
  mawjly apps list [--account NAME] [--json]
  mawjly apps rotate-secret ID [--grace-seconds N] [--json]

Creates apps (credentials from a CSPRNG; the secret is printed once), lists them (secrets masked),
rotates a secret (the old one keeps working for --grace-seconds, 0 to ${MAX_GRACE_SECONDS}).
`;

function printApp(app: AppRecord, cluster: string, write: (s: string) => void): void {
  write(
    `app_id:  ${app.id}\nkey:     ${app.key}\nsecret:  ${app.secret}\ncluster: ${cluster}\nname:    ${app.name}\n`,
  );
}

export const appsCommand: Command = {
  name: 'apps',
  summary: 'create and list apps, rotate an app secret',
  usage,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      account: { type: 'string' },
      name: { type: 'string' },
      'grace-seconds': { type: 'string' },
      json: { type: 'boolean' },
    });
    const [sub, ...rest] = positionals;
    const json = values.json === true;
    const write = (s: string): void => void io.stdout.write(s);
    switch (sub) {
      case 'create': {
        if (rest.length > 0) throw new UsageError('create takes no positional arguments');
        const accountName = values.account;
        if (accountName === undefined) throw new UsageError('--account NAME is required');
        const name = values.name;
        const { app, cluster } = await withManagement(io, async (m, config) => {
          const account = await m.accounts.getByName(accountName);
          const created = await m.apps.create(account, name === undefined ? {} : { name }, CLI_ACTOR);
          return { app: created, cluster: config.clusterName };
        });
        if (json) writeJson(io, appJson(app, cluster, { revealSecret: true }));
        else printApp(app, cluster, write);
        return 0;
      }
      case 'list': {
        if (rest.length > 0) throw new UsageError('list takes no positional arguments');
        const accountName = values.account;
        const { apps, names, cluster } = await withManagement(io, async (m, config) => {
          const accountId =
            accountName === undefined ? undefined : (await m.accounts.getByName(accountName)).id;
          const names = new Map((await m.accounts.list()).map((a) => [a.id, a.name]));
          return { apps: await m.apps.list(accountId), names, cluster: config.clusterName };
        });
        if (json) writeJson(io, { apps: apps.map((a) => appJson(a, cluster)) });
        else
          write(
            table([
              ['APP_ID', 'KEY', 'NAME', 'ACCOUNT'],
              ...apps.map((a) => [a.id, a.key, a.name, names.get(a.accountId) ?? a.accountId]),
            ]),
          );
        return 0;
      }
      case 'rotate-secret': {
        if (rest.length !== 1 || rest[0] === undefined) throw new UsageError('expected exactly one app ID');
        const id = rest[0];
        const graceText = values['grace-seconds'] ?? '0';
        if (!/^\d+$/.test(graceText) || Number(graceText) > MAX_GRACE_SECONDS) {
          throw new UsageError(`--grace-seconds must be an integer from 0 to ${MAX_GRACE_SECONDS}`);
        }
        const result = await withManagement(io, (m) =>
          m.apps.rotateSecret(undefined, id, Number(graceText), CLI_ACTOR),
        );
        const until =
          result.previousValidUntil === null ? null : new Date(result.previousValidUntil).toISOString();
        if (json) writeJson(io, { id: result.app.id, secret: result.secret, previous_valid_until: until });
        else {
          write(
            until === null
              ? 'The previous secret no longer verifies.\n'
              : `The previous secret verifies until ${until}.\n`,
          );
          write(`secret:  ${result.secret}\n`);
        }
        return 0;
      }
      default:
        throw new UsageError(sub === undefined ? 'missing sub-command' : `unknown sub-command '${sub}'`);
    }
  },
};
