// Strict standard base64 with padding, as `is-base64` accepts it (what pusher-http-node requires of a
// master key, and what pusher-js's decoder accepts without throwing).
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isStrictBase64(value: string): boolean {
  return STRICT_BASE64.test(value);
}

/** Decoded byte length of a strict base64 string (no allocation). */
export function base64DecodedLength(value: string): number {
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return (value.length / 4) * 3 - padding;
}
