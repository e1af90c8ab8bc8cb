// The one parser of HTTP request targets (the `/path?query` of the request line), for requests and
// WebSocket upgrades alike. It never throws: a target that cannot be read is `undefined`, which the
// caller answers with 400 `invalid_target`.
//
// `new URL(target, base)` is the wrong tool for a request target: it reads `//host:port/…` as a
// scheme-relative URL (so `//[`, `//x:y` or `//a%` throw, and `//evil/api/v1` would route as
// `/api/v1`), and `/\host` as `//host`. An origin-form target is a path, so it is appended to a fixed
// origin instead, where no path text can become an authority.

const ORIGIN = 'http://localhost';

/**
 * The target as a URL on a fixed origin: origin-form (`/path?query`) always parses; absolute-form
 * (`http://host/path`, which HTTP/1.1 servers must accept) keeps its path and query. Anything else
 * (`*`, a bare word, an unparsable absolute URL) is undefined.
 */
export function parseRequestTarget(raw: string | undefined): URL | undefined {
  const target = raw ?? '/';
  try {
    if (target.startsWith('/')) return new URL(`${ORIGIN}${target}`);
    if (!/^https?:\/\//i.test(target)) return undefined;
    const absolute = new URL(target);
    return new URL(`${ORIGIN}${absolute.pathname}${absolute.search}`);
  } catch {
    return undefined;
  }
}
