// `mawjly` entry point: the only place that calls process.exit.
import { capYoungGeneration, youngGenerationFromEnv } from '../config/young-generation.js';
import { UsageError, type CommandIo } from './commands/command.js';

// `serve` caps V8's young generation before the commands' modules load: loading them is the first
// thing that grows it (src/config/young-generation.ts).
if (process.argv.slice(2).includes('serve')) capYoungGeneration(youngGenerationFromEnv(process.env));
const { commands } = await import('./commands/index.js');

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: mawjly <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nGlobal option:\n  --init  create the database if it does not exist (otherwise only a first \`serve\` in a\n          missing or empty data directory creates one)\n\nRun \`mawjly <command> --help\` for a command's options; \`mawjly --version\` prints the version.\n`;
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  // src/cli/main.ts and dist/cli/main.js are both two folders below package.json.
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

async function main(argv: readonly string[]): Promise<number> {
  // `--init` is global (before or after the command): it lets the command create the database.
  const [name, ...rest] = argv.filter((arg) => arg !== '--init');
  const io: CommandIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    init: argv.includes('--init'),
  };
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout.write(`mawjly ${await packageVersion()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`mawjly: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`mawjly ${command.name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    io.stderr.write(`mawjly ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// `serve` keeps running (its signal handlers exit); every other command exits here.
const named = process.argv.slice(2).find((arg) => arg !== '--init');
if (code !== 0 || named !== 'serve') process.exit(code);
