// The one JSON reader for untrusted input (REST and management API bodies, WebSocket frames and the
// JSON strings they carry). JSON.parse itself copes with any nesting, but everything after it that
// walks the value recursively (JSON.stringify, validators) overflows the stack a few thousand levels
// down. Real payloads are shallow, so input nested deeper than MAX_JSON_DEPTH is refused up front.

/** Deepest nesting of arrays and objects accepted in untrusted JSON (a bare scalar is depth 0). */
export const MAX_JSON_DEPTH = 64;

export type JsonParseResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'invalid' | 'too_deep' };

/** Parses untrusted JSON text; never throws. */
export function parseUntrustedJson(text: string, maxDepth: number = MAX_JSON_DEPTH): JsonParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  // A text shorter than the limit cannot nest deeper than it.
  if (text.length > maxDepth && nestedDeeperThan(value, maxDepth)) return { ok: false, reason: 'too_deep' };
  return { ok: true, value };
}

/**
 * Whether a parsed JSON value nests arrays/objects more than `maxDepth` levels. Iterative (it must
 * not overflow on the very input it guards against) and proportional to the number of containers
 * and members, not to the bytes of strings: a publish body is a handful of nodes.
 */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const pending: object[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const node = pending.pop() as Record<string, unknown>;
    const depth = depths.pop() as number;
    if (depth > maxDepth) return true;
    if (Array.isArray(node)) {
      for (const child of node as unknown[]) {
        if (typeof child === 'object' && child !== null) {
          pending.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        const child = node[key];
        if (typeof child === 'object' && child !== null) {
          pending.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

/**
 * Whether any string (key or value) in a parsed JSON value holds U+0000. PostgreSQL cannot store it
 * in text columns, so input bound for the store is refused up front instead of failing there.
 */
export function containsNulText(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return true;
    } else if (Array.isArray(node)) {
      for (const child of node as unknown[]) pending.push(child);
    } else if (typeof node === 'object' && node !== null) {
      for (const key in node) {
        if (key.includes('\u0000')) return true;
        pending.push((node as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}
