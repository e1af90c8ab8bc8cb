// One management API call (`/api/v1…`) as an API client makes it: a bearer token, a JSON body.

/** What the management API answered; `json` is the parsed body (undefined when empty). */
export async function managementRequest(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
) {
  const started = Date.now();
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    json: text === '' ? undefined : JSON.parse(text),
    text,
    headers: res.headers,
    /** From the call to the whole answer read. */
    ms: Date.now() - started,
  };
}
