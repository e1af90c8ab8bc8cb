import { parseRole } from '../../management/team.js';
import { UsageError, type Command, type CommandIo } from './command.js';
import { CLI_ACTOR, parse, withManagement, writeJson } from './open-management.js';

const usage = `Usage:
  mawjly users create --account NAME --email E (--password P | --password-stdin) --role owner|admin|developer|viewer [--json]

Creates a dashboard user. --password-stdin reads the password from the first line of stdin, which
keeps it out of the process list and shell history.
`;

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
  summary: 'create dashboard users',
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
    if (sub !== 'create') {
      throw new UsageError(sub === undefined ? 'missing sub-command' : `unknown sub-command '${sub}'`);
    }
    if (rest.length > 0) throw new UsageError('create takes no positional arguments');
    const { account: accountName, email, role: roleText } = values;
    if (accountName === undefined) throw new UsageError('--account NAME is required');
    if (email === undefined) throw new UsageError('--email is required');
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
