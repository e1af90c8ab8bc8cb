// The `mawjly` sub-commands. Each module exports a Command; main.ts dispatches on the first word.
import { accountsCommand } from './accounts.js';
import { appsCommand } from './apps.js';
import type { Command } from './command.js';
import { keyCommand } from './key.js';
import { serveCommand } from './serve.js';
import { tokensCommand } from './tokens.js';
import { usersCommand } from './users.js';
import { webhooksCommand } from './webhooks.js';

export const commands: readonly Command[] = [
  serveCommand,
  accountsCommand,
  appsCommand,
  tokensCommand,
  usersCommand,
  keyCommand,
  webhooksCommand,
];
