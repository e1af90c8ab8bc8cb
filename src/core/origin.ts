/**
 * Whether a browser Origin may open a socket for an app. `*` allows all; entries may use `*` as a
 * wildcard within the host (e.g. `https://*.example.com`). No Origin header means not a browser.
 */
export function originAllowed(allowed: readonly string[], origin: string | undefined): boolean {
  if (origin === undefined || allowed.includes('*')) return true;
  return allowed.some((pattern) => {
    if (!pattern.includes('*')) return pattern === origin;
    const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('[^/]*')}$`);
    return regex.test(origin);
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
