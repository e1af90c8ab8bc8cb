// The `mawjly` sub-commands. Each module exports a Command; main.ts dispatches on the first word.
import type { Command } from './command.js';
import { serveCommand } from './serve.js';

export const commands: readonly Command[] = [serveCommand];
