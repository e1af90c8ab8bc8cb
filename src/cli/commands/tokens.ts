import { SCOPES } from '../../management/api-tokens.js';
import { tokenJson } from '../../management/json-views.js';
import { UsageError, type Command } from './command.js';
import { CLI_ACTOR, parse, table, withManagement, writeJson } from './open-management.js';

const usage = `Usage:
  mawjly tokens create --account NAME [--name N] [--scopes a,b] [--expires-in-days N] [--json]
  mawjly tokens list --account NAME [--json]
  mawjly tokens revoke --account NAME ID

Creates, lists and revokes management API tokens of an account. Without --scopes a new token has
every scope:
  ${SCOPES.join(', ')}
The token is printed once, as the last line of the output (or in the "token" field with --json).
A token created here acts for the operator: it is bound by its scopes only.
`;

export const tokensCommand: Command = {
  name: 'tokens',
  summary: 'create, list and revoke management API tokens',
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
    if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
      throw new UsageError(sub === undefined ? 'missing sub-command' : `unknown sub-command '${sub}'`);
    }
    const accountName = values.account;
    if (accountName === undefined) throw new UsageError('--account NAME is required');
    if (sub === 'list') {
      if (rest.length > 0) throw new UsageError('list takes no positional arguments');
      const tokens = await withManagement(io, async (m) =>
        m.tokens.list((await m.accounts.getByName(accountName)).id),
      );
      if (values.json === true) writeJson(io, { tokens: tokens.map(tokenJson) });
      else
        io.stdout.write(
          table([
            ['ID', 'NAME', 'PREFIX', 'SCOPES', 'EXPIRES'],
            ...tokens.map((t) => [
              t.id,
              t.name,
              t.prefix,
              t.scopes.join(','),
              t.expiresAt === null ? 'never' : new Date(t.expiresAt).toISOString(),
            ]),
          ]),
        );
      return 0;
    }
    if (sub === 'revoke') {
      const [id] = rest;
      if (rest.length !== 1 || id === undefined) throw new UsageError('expected exactly one token ID');
      await withManagement(io, async (m) =>
        m.tokens.revoke((await m.accounts.getByName(accountName)).id, id, CLI_ACTOR),
      );
      io.stdout.write(`Revoked token ${id}\n`);
      return 0;
    }
    if (rest.length > 0) throw new UsageError('create takes no positional arguments');
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
