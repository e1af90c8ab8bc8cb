import { parsePlanName } from '../../management/accounts.js';
import { UsageError, type Command } from './command.js';
import { CLI_ACTOR, parse, table, withManagement, writeJson } from './open-management.js';

const usage = `Usage:
  mawjly accounts create NAME [--plan free|startup|pro|business] [--json]
  mawjly accounts list [--json]
  mawjly accounts set-plan NAME PLAN [--json]

Manages customer accounts in the configured store (MAWJLY_DATA_DIR or DATABASE_URL).
`;

function accountJson(a: {
  id: string;
  name: string;
  plan: string;
  createdAt: number;
}): Record<string, unknown> {
  return { id: a.id, name: a.name, plan: a.plan, created_at: new Date(a.createdAt).toISOString() };
}

export const accountsCommand: Command = {
  name: 'accounts',
  summary: 'create and list accounts, change their plan',
  usage,
  async run(args, io) {
    const { values, positionals } = parse(args, { plan: { type: 'string' }, json: { type: 'boolean' } });
    const [sub, ...rest] = positionals;
    const json = values.json === true;
    switch (sub) {
      case 'create': {
        if (rest.length !== 1 || rest[0] === undefined)
          throw new UsageError('expected exactly one account NAME');
        const name = rest[0];
        const plan = values.plan === undefined ? 'free' : parsePlanName(values.plan);
        const account = await withManagement(io, (m) => m.accounts.create({ name, plan }, CLI_ACTOR));
        if (json) writeJson(io, accountJson(account));
        else io.stdout.write(`Created account ${account.name} (id ${account.id}, plan ${account.plan})\n`);
        return 0;
      }
      case 'list': {
        if (rest.length > 0) throw new UsageError('list takes no arguments');
        const accounts = await withManagement(io, (m) => m.accounts.list());
        if (json) writeJson(io, { accounts: accounts.map(accountJson) });
        else io.stdout.write(table([['ID', 'NAME', 'PLAN'], ...accounts.map((a) => [a.id, a.name, a.plan])]));
        return 0;
      }
      case 'set-plan': {
        if (rest.length !== 2 || rest[0] === undefined || rest[1] === undefined) {
          throw new UsageError('expected NAME and PLAN');
        }
        const [name, planText] = rest;
        const plan = parsePlanName(planText);
        const account = await withManagement(io, async (m) => {
          const found = await m.accounts.getByName(name);
          return m.accounts.setPlan(found.id, plan, CLI_ACTOR);
        });
        if (json) writeJson(io, accountJson(account));
        else io.stdout.write(`Account ${account.name} is now on the ${account.plan} plan\n`);
        return 0;
      }
      default:
        throw new UsageError(sub === undefined ? 'missing sub-command' : `unknown sub-command '${sub}'`);
    }
  },
};
