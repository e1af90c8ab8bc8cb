import type { Management } from '../../management/management.js';
import type { UserRecord } from '../../management/store.js';
import { normalizeEmail, parseRole } from '../../management/team.js';
import { MawjlyError } from '../../protocol/errors.js';
import { UsageError, type Command, type CommandIo } from './command.js';
import { CLI_ACTOR, parse, table, withManagement, writeJson } from './open-management.js';

const usage = `Usage:
  mawjly users create --account NAME --email E (--password P | --password-stdin) --role owner|admin|developer|viewer [--json]
  mawjly users list --account NAME [--json]
  mawjly users set-role --account NAME --email E --role owner|admin|developer|viewer [--json]
  mawjly users remove --account NAME --email E

Manages dashboard users (team members). --password-stdin reads the password from the first line of
stdin, which keeps it out of the process list and shell history. The operator may give any role;
an account always keeps one owner. A removed member's API tokens are revoked, and a demoted
member's tokens holding scopes the new role lacks (docs/security.md).
`;

function userJson(u: UserRecord): Record<string, unknown> {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    account: u.accountId,
    created_at: new Date(u.createdAt).toISOString(),
  };
}

async function findMember(m: Management, accountName: string, email: string): Promise<UserRecord> {
  const account = await m.accounts.getByName(accountName);
  const user = (await m.team.list(account.id)).find((u) => u.email === normalizeEmail(email));
  if (!user)
    throw new MawjlyError('not_found', `No member ${normalizeEmail(email)} in account '${accountName}'`);
  return user;
}

async function firstLine(io: CommandIo): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

export const usersCommand: Command = {
  name: 'users',
  summary: 'create, list, change and remove dashboard users',
  usage,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      account: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      role: { type: 'string' },
      json: { type: 'boolean' },
    });
    const [sub, ...rest] = positionals;
    if (sub !== 'create' && sub !== 'list' && sub !== 'set-role' && sub !== 'remove') {
      throw new UsageError(sub === undefined ? 'missing sub-command' : `unknown sub-command '${sub}'`);
    }
    if (rest.length > 0) throw new UsageError(`${sub} takes no positional arguments`);
    const { account: accountName, email, role: roleText } = values;
    if (accountName === undefined) throw new UsageError('--account NAME is required');
    if (sub === 'list') {
      const users = await withManagement(io, async (m) =>
        m.team.list((await m.accounts.getByName(accountName)).id),
      );
      if (values.json === true) writeJson(io, { members: users.map(userJson) });
      else io.stdout.write(table([['ID', 'EMAIL', 'ROLE'], ...users.map((u) => [u.id, u.email, u.role])]));
      return 0;
    }
    if (email === undefined) throw new UsageError('--email is required');
    if (sub === 'remove') {
      await withManagement(io, async (m) => {
        const user = await findMember(m, accountName, email);
        await m.team.remove(user.accountId, user.id, CLI_ACTOR);
      });
      io.stdout.write(`Removed ${normalizeEmail(email)} from ${accountName}; their API tokens are revoked\n`);
      return 0;
    }
    if (sub === 'set-role') {
      if (roleText === undefined) throw new UsageError('--role is required');
      const newRole = parseRole(roleText);
      const user = await withManagement(io, async (m) => {
        const found = await findMember(m, accountName, email);
        return m.team.updateRole(found.accountId, found.id, newRole, CLI_ACTOR);
      });
      if (values.json === true) writeJson(io, userJson(user));
      else io.stdout.write(`${user.email} is now ${user.role}\n`);
      return 0;
    }
    if (roleText === undefined) throw new UsageError('--role is required');
    const role = parseRole(roleText);
    if ((values.password === undefined) === (values['password-stdin'] !== true)) {
      throw new UsageError('give exactly one of --password or --password-stdin');
    }
    const password = values.password ?? (await firstLine(io));
    const user = await withManagement(io, async (m) => {
      const account = await m.accounts.getByName(accountName);
      return m.team.create(account.id, { email, password, role }, CLI_ACTOR);
    });
    if (values.json === true) {
      writeJson(io, { id: user.id, email: user.email, role: user.role, account: user.accountId });
    } else {
      io.stdout.write(`Created user ${user.email} (id ${user.id}, role ${user.role})\n`);
    }
    return 0;
  },
};
