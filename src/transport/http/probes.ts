import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ProbeState {
  /** True once the server accepts connections, false again while draining. */
  ready: boolean;
}

/** `GET /health` (the process is alive) and `GET /ready` (accepting traffic: 200, draining: 503). */
export function handleProbe(req: IncomingMessage, res: ServerResponse, url: URL, state: ProbeState): boolean {
  if (url.pathname !== '/health' && url.pathname !== '/ready') return false;
  const ok = url.pathname === '/health' || state.ready;
  const body = JSON.stringify({ status: ok ? 'ok' : 'draining' });
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
