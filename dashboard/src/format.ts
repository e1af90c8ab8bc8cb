export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'unlimited';
  return value.toLocaleString('en-US');
}

export function percent(used: number, quota: number | null | undefined): number | undefined {
  if (quota === null || quota === undefined || quota <= 0) return undefined;
  return Math.min(100, (used / quota) * 100);
}
