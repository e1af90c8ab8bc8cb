import { SCOPES } from '../../management/api-tokens.js';
import { tokenJson } from '../../transport/http/management-api/json-views.js';
import { UsageError, type Command } from './command.js';
import { CLI_ACTOR, parse, withManagement, writeJson } from './open-management.js';

const usage = `Usage:
  mawjly tokens create --account NAME [--name N] [--scopes a,b] [--expires-in-days N] [--json]

Creates a management API token for an account. Without --scopes it has every scope:
  ${SCOPES.join(', ')}
The token is printed once, as the last line of the output (or in the "token" field with --json).
`;

export const tokensCommand: Command = {
  name: 'tokens',
  summary: 'create management API tokens',
  usage,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      account: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in-days': { type: 'string' },
      json: { type: 'boolean' },
    });
    const [sub, ...rest] = positionals;
    if (sub !== 'create') {
      throw new UsageError(sub === undefined ? 'missing sub-command' : `unknown sub-command '${sub}'`);
    }
    if (rest.length > 0) throw new UsageError('create takes no positional arguments');
    const accountName = values.account;
    if (accountName === undefined) throw new UsageError('--account NAME is required');
    const scopes = values.scopes
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    let expiresInDays: number | undefined;
    if (values['expires-in-days'] !== undefined) {
      if (!/^\d+$/.test(values['expires-in-days']))
        throw new UsageError('--expires-in-days must be a positive integer');
      expiresInDays = Number(values['expires-in-days']);
    }
    const { record, token } = await withManagement(io, async (m) => {
      const account = await m.accounts.getByName(accountName);
      return m.tokens.create(
        account.id,
        {
          name: values.name ?? 'cli token',
          ...(scopes !== undefined ? { scopes } : {}),
          ...(expiresInDays !== undefined ? { expiresInDays } : {}),
        },
        CLI_ACTOR,
      );
    });
    if (values.json === true) {
      writeJson(io, { ...tokenJson(record), token });
    } else {
      io.stdout.write(
        `Created token ${record.name} (id ${record.id}) with scopes: ${record.scopes.join(', ')}\n` +
          `${record.expiresAt === null ? 'It does not expire.' : `It expires at ${new Date(record.expiresAt).toISOString()}.`} It is shown once:\n` +
          `${token}\n`,
      );
    }
    return 0;
  },
};
