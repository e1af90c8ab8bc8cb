export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  /** First word(s) after `mawjly`, e.g. `serve`, `accounts`. */
  readonly name: string;
  readonly summary: string;
  /** Full help text printed for `mawjly <name> --help`. */
  readonly usage: string;
  /** Returns the process exit code. Throw UsageError for bad input (exit code 2). */
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** Bad command-line input: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
