// A TCP port nothing listens on right now, for a child process or a second listener to take.
import { createServer } from 'node:net';

/** Binds port 0 on `host`, notes the port the kernel gave, and closes again. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}
