/** One schema migration: a version (strictly increasing, never reused) and the SQL of both dialects. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}
