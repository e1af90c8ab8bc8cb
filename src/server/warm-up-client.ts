// The client of the warm-up rehearsal (warm-up.ts), run in a child process: signed single-event
// publishes over loopback keep-alive connections, as an app's backend sends them (PROTOCOL.md §7).
// It signs with node:crypto directly, so none of the server's own functions see a client's calls.
import { createHash, createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** How much traffic the rehearsal gets (warm-up.ts has the default). */
export interface WarmUpLoad {
  /** Signed single-event publishes (`POST /apps/{id}/events`), 8 at a time. */
  readonly publishes: number;
}

export interface WarmUpClientData {
  readonly port: number;
  readonly tls: boolean;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  readonly load: WarmUpLoad;
}

export interface WarmUpClientReport {
  /** Events published and answered 200. */
  readonly publishes: number;
}

/** Requests in flight at once (keep-alive connections). */
const CONCURRENCY = 8;

async function drive(data: WarmUpClientData): Promise<WarmUpClientReport> {
  const agent = data.tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: CONCURRENCY, rejectUnauthorized: false })
    : new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY });
  const count = data.load.publishes;
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      const event = JSON.stringify({ n, text: 'warm-up', pad: 'x'.repeat(100) });
      await publish(
        data,
        agent,
        JSON.stringify({ name: 'warm-up', channel: `warm-up-${String(n % 10)}`, data: event }),
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, sender));
  } finally {
    agent.destroy();
  }
  return { publishes: count };
}

function publish(data: WarmUpClientData, agent: HttpAgent, body: string): Promise<void> {
  const { app } = data;
  const path = `/apps/${app.id}/events`;
  // The parameters in name order (auth_key, auth_timestamp, auth_version, body_md5): canonical.
  const query =
    `auth_key=${app.key}&auth_timestamp=${String(Math.floor(Date.now() / 1000))}&auth_version=1.0` +
    `&body_md5=${createHash('md5').update(body).digest('hex')}`;
  const signature = createHmac('sha256', app.secret).update(`POST\n${path}\n${query}`).digest('hex');
  const send = data.tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: '127.0.0.1',
        port: data.port,
        method: 'POST',
        path: `${path}?${query}&auth_signature=${signature}`,
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) resolve();
          else reject(new Error(`warm-up publish: HTTP ${String(res.statusCode)}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// Started by warm-up.ts with an IPC channel: one message in (what to drive), one report out. A
// parent that goes away takes the client with it.
process.once('disconnect', () => {
  process.exit(0);
});
process.once('message', (data: WarmUpClientData) => {
  drive(data).then(
    (report) => {
      process.send?.(report, () => {
        process.disconnect();
      });
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
});
