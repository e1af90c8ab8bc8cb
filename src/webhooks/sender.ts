// One webhook request: POST the exact body with Pusher's headers, through keep-alive agents whose
// DNS lookups refuse internal addresses (unless the operator allows private targets). A receiver
// gets at most `timeoutMs` to answer; at most `maxResponseBytes` of its answer are read; redirects
// are not followed (a 3xx is a failure).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { forbiddenHost, guardedLookup } from './target-guard.js';

export interface SendResult {
  readonly ok: boolean;
  readonly status: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
}

export interface SenderOptions {
  readonly timeoutMs: number;
  readonly allowPrivateTargets: boolean;
  /** Default 64 KB. */
  readonly maxResponseBytes?: number;
  /** Sockets per receiver host (default 16). */
  readonly maxSocketsPerHost?: number;
}

const ALLOW_HINT = ' (MAWJLY_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true allows it)';

function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'request failed';
  const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  if (code === 'EWEBHOOKTARGET') return `${err.message}${ALLOW_HINT}`;
  return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}

export class WebhookSender {
  readonly #options: SenderOptions;
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;

  constructor(options: SenderOptions) {
    this.#options = options;
    const agent = { keepAlive: true, maxSockets: options.maxSocketsPerHost ?? 16, maxFreeSockets: 4 };
    this.#http = new HttpAgent(agent);
    this.#https = new HttpsAgent(agent);
  }

  /** Why this URL cannot be a target before any lookup (a literal internal address), if it cannot. */
  refuse(url: URL): string | undefined {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http:// and https:// URLs';
    if (this.#options.allowPrivateTargets) return undefined;
    return forbiddenHost(url.hostname);
  }

  post(target: string, headers: Readonly<Record<string, string>>, body: string): Promise<SendResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return Promise.resolve({ ok: false, status: null, latencyMs: 0, error: 'invalid URL' });
    }
    const refused = this.refuse(url);
    if (refused !== undefined) {
      return Promise.resolve({
        ok: false,
        status: null,
        latencyMs: 0,
        error: `refused: ${refused}${ALLOW_HINT}`,
      });
    }
    const https = url.protocol === 'https:';
    const maxBytes = this.#options.maxResponseBytes ?? 64 * 1024;
    return new Promise((resolve) => {
      let status: number | null = null;
      let settled = false;
      const finish = (error: string | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const ok = error === null && status !== null && status >= 200 && status < 300;
        let reason = error;
        if (reason === null && !ok)
          reason = `HTTP ${String(status)}${status !== null && status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`;
        resolve({ ok, status, latencyMs: elapsed(), error: ok ? null : reason });
      };
      const onResponse = (res: IncomingMessage): void => {
        status = res.statusCode ?? null;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > maxBytes) {
            res.destroy();
            finish(null);
          }
        });
        res.on('end', () => {
          finish(null);
        });
        res.on('error', () => {
          finish(null);
        });
        res.on('close', () => {
          finish(null);
        });
      };
      const options = {
        method: 'POST',
        headers: {
          ...headers,
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(body, 'utf8')),
        },
        ...(this.#options.allowPrivateTargets ? {} : { lookup: guardedLookup }),
      };
      const req = https
        ? httpsRequest(url, { ...options, agent: this.#https }, onResponse)
        : httpRequest(url, { ...options, agent: this.#http }, onResponse);
      const timer = setTimeout(() => {
        // An answer whose status arrived counts even if its body is slow.
        if (status !== null) finish(null);
        else finish(`timeout: no answer within ${this.#options.timeoutMs} ms`);
        req.destroy();
      }, this.#options.timeoutMs);
      req.on('error', (err) => {
        finish(describe(err));
      });
      req.end(body);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
