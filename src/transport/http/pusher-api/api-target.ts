// The path and decoded query of a REST request. `new URL` costs more than the rest of a publish's
// parsing, so the common case (a plain ASCII target it would leave untouched) is split by hand;
// anything it could rewrite (dot segments, backslashes, fragments, characters it percent-encodes)
// goes through `new URL`, so both ways give the same path and pairs.

/** Decoded `name=value` pairs in request order (names as sent, not lowercased). */
export type QueryPairs = readonly (readonly [string, string])[];

export interface ApiTarget {
  /** Path without the query string, as `new URL(...).pathname` gives it. */
  readonly path: string;
  readonly query: QueryPairs;
  /**
   * The query string as received, when decoding leaves it unchanged (no `%`, no `+`): the signature
   * check reads a query already in canonical order straight from it (authenticate.ts).
   */
  readonly plainQuery: string | undefined;
}

/** A plain target: the pairs are split only when an endpoint asks for them (a publish does not). */
class PlainTarget implements ApiTarget {
  readonly path: string;
  readonly plainQuery: string | undefined;
  readonly #raw: string;
  #pairs: QueryPairs | undefined;

  constructor(path: string, raw: string) {
    this.path = path;
    this.#raw = raw;
    this.plainQuery = raw.includes('%') || raw.includes('+') ? undefined : raw;
  }

  get query(): QueryPairs {
    return (this.#pairs ??= this.#raw === '' ? [] : parseQuery(this.#raw));
  }
}

/** Printable ASCII that the WHATWG URL parser keeps as is in a path under `/apps/`. */
const PLAIN_PATH = /^\/apps\/[!$&'()*+,\-.0-9:;=@A-Z_a-z~%/]*$/;
/**
 * The same in a query, which has no second `?` (URLSearchParams' constructor would drop a leading
 * one, the URL parser does not).
 */
const PLAIN_QUERY = /^[!$&'()*+,\-./0-9:;=@A-Z_a-z~%]*$/;
/** `.`, `..`, `%2e` segments are resolved by the URL parser. */
const DOT_SEGMENT = /\/(?:\.|%2e)/i;

/**
 * The target of a `/apps/…` request when it needs no normalising; undefined otherwise. `path` and
 * `query` are the raw target split at its first `?` (HttpRequest's path and query), so the request
 * line is never joined again to be split here.
 */
export function plainApiTarget(path: string, query: string): ApiTarget | undefined {
  if (!PLAIN_PATH.test(path) || !PLAIN_QUERY.test(query) || DOT_SEGMENT.test(path)) return undefined;
  return new PlainTarget(path, query);
}

/** The target as the URL parser sees it (any request that is not a plain `/apps/…` one). */
export function apiTargetOf(url: URL): ApiTarget {
  return { path: url.pathname, query: [...url.searchParams], plainQuery: undefined };
}

/** `application/x-www-form-urlencoded` pairs, exactly as URLSearchParams decodes them. */
export function parseQuery(query: string): QueryPairs {
  // Without escapes there is nothing to decode; otherwise URLSearchParams' lenient decoding applies.
  if (query.includes('%') || query.includes('+')) return [...new URLSearchParams(query)];
  const pairs: [string, string][] = [];
  for (const part of query.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    pairs.push(eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]);
  }
  return pairs;
}

/** The first value of `name` (URLSearchParams.get). */
export function queryValue(query: QueryPairs, name: string): string | undefined {
  for (const [k, v] of query) if (k === name) return v;
  return undefined;
}
