export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/**
 * Who did something, for people: `user:ada@example.com` → "ada@example.com", `token:abc123` → "API
 * token abc123", `operator`/`cli` → "the operator (CLI)".
 */
export function formatActor(actor: string | null | undefined): string {
  if (actor === null || actor === undefined || actor === '') return 'unknown';
  if (actor.startsWith('user:')) return actor.slice(5);
  if (actor.startsWith('token:')) return `API token ${actor.slice(6)}`;
  if (actor === 'operator' || actor === 'cli') return 'the operator (CLI)';
  return actor;
}

/** An event type for people: `api_message` → "API message", `member_added` → "Member added". */
export function formatEventType(type: string): string {
  const words = type.split(/[_\s-]+/).filter((w) => w !== '');
  if (words.length === 0) return type;
  return words
    .map((w, i) => (w.toLowerCase() === 'api' ? 'API' : i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w))
    .join(' ');
}

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'unlimited';
  return value.toLocaleString('en-US');
}

export function percent(used: number, quota: number | null | undefined): number | undefined {
  if (quota === null || quota === undefined || quota <= 0) return undefined;
  return Math.min(100, (used / quota) * 100);
}
