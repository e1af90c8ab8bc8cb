// Change watching for the SQLite store. `PRAGMA data_version` changes whenever another connection
// (another process: the CLI) commits, never for this connection's own writes; reading it is a
// cheap in-memory call, so polling it is how other processes' writes are noticed.
import type { SqliteDatabase } from './sqlite-database.js';

export class SqliteChangePoller {
  private readonly db: SqliteDatabase;
  private readonly pollMs: number;
  private readonly watches = new Set<() => void>();

  constructor(db: SqliteDatabase, pollMs: number) {
    this.db = db;
    this.pollMs = pollMs;
  }

  async add(onChange: () => void): Promise<() => void> {
    let last = this.db.dataVersion();
    const timer = setInterval(() => {
      if (!this.db.open) return;
      // The same tick notices the file being deleted or replaced (logged once, readiness fails).
      if (this.db.verify() !== undefined) return;
      let current: number;
      try {
        current = this.db.dataVersion();
      } catch {
        return;
      }
      if (current === last) return;
      last = current;
      onChange();
    }, this.pollMs);
    timer.unref();
    const stop = (): void => {
      clearInterval(timer);
      this.watches.delete(stop);
    };
    this.watches.add(stop);
    return Promise.resolve(stop);
  }

  close(): void {
    for (const stop of [...this.watches]) stop();
  }
}
