// Operator commands open the same store as `serve` through the composition root
// (src/server/compose.ts), do their work through the management services, and close everything so
// the process exits.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../../config/config.js';
import type { Management } from '../../management/management.js';
import { openManagement } from '../../server/compose.js';
import { UsageError, type CommandIo } from './command.js';

/** The audit actor of every operator command. */
export const CLI_ACTOR = 'cli';

export async function withManagement<T>(
  io: CommandIo,
  work: (management: Management, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig(io.env);
  // A one-shot command never leaves a new, empty database behind unless told to (--init).
  const opened = await openManagement(config, { create: io.init === true ? 'always' : 'never' });
  try {
    return await work(opened.management, config);
  } finally {
    await opened.close();
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with positionals, turning its errors into UsageError (exit code 2). */
export function parse<O extends Options>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function writeJson(io: CommandIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Aligned columns for list output. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
