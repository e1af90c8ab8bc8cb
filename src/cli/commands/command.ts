export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  /**
   * `--init` was given: a missing database may be created. Without it operator commands refuse to
   * create one (a typo in MAWJLY_DATA_DIR, or a deleted directory, must not yield an empty
   * database), and `serve` creates one only in a missing or empty data directory.
   */
  readonly init?: boolean;
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
