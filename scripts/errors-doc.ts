// Renders docs/errors.md from the error catalogue (src/protocol/errors.ts).
// `npm run docs:errors` rewrites it; test/docs.test.ts fails when it is stale.
import { ERROR_DETAILS } from '../src/protocol/error-details.js';
import { ERRORS, type ErrorCode, type ErrorSpec } from '../src/protocol/errors.js';

/** Every message the server sends with `code`: the default first, then the templates. */
export function catalogueMessages(code: ErrorCode): string[] {
  return [ERRORS[code].message, ...(ERROR_DETAILS[code] ?? [])];
}

/** A message as the doc shows it: a code span, so nothing in it is read as Markdown or HTML. */
export function docMessage(message: string): string {
  return `\`${message.replaceAll('|', '\\|')}\``;
}

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERRORS as Record<ErrorCode, ErrorSpec>).map(([code, spec]) => {
    const pusher = spec.pusherCode === undefined ? '' : String(spec.pusherCode);
    const closes = spec.pusherCode === undefined ? '' : spec.closes ? 'closes' : 'frame only';
    const messages = catalogueMessages(code as ErrorCode)
      .map(docMessage)
      .join('<br>');
    return `| \`${code}\` | ${spec.httpStatus} | ${pusher} | ${closes} | ${messages} |`;
  });
  return `# Errors

Generated from \`src/protocol/errors.ts\` by \`npm run docs:errors\`; do not edit by hand.

Every error has a stable string \`code\`. The *messages* column lists, verbatim, every message the
server sends with that code: the default first, then the more specific ones (from
\`src/protocol/error-details.ts\`). \`{name}\` in a message stands for a value filled in when the error
is sent (a channel, an app id, a plan, a limit). Match errors on \`code\`, not on the message.

 The Pusher HTTP API and the management API answer with
\`{"error":{"code","message"}}\` and the HTTP status below. On a WebSocket, an error is a
\`pusher:error\` frame (\`{"code": <Pusher code or null>, "message"}\`); where the table says
*closes*, the socket is then closed with that code. Refused subscriptions are
\`pusher:subscription_error\` frames carrying the \`channel\` and \`data.status\` (the HTTP status).

Close codes follow what pusher-js does with them: 4000–4099 never reconnect, 4100–4199 reconnect
after 1 s, 4200–4299 reconnect at once. Codes ≥ 4300 are only ever sent as frames, never as close
codes, because pusher-js would never reconnect.

| code | HTTP status | Pusher code | on a socket | messages |
|---|---|---|---|---|
${rows.join('\n')}
`;
}

if (process.argv[1]?.endsWith('errors-doc.ts')) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
}
