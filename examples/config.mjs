// Where the examples find Mawjly and the app: environment variables, defaulting to what `npm start`
// prints for its development app (see examples/README.md).
import { env, stderr } from 'node:process';

// A PUBLIC key, for local demos only: anyone who reads this file can decrypt what it protects.
// Use your app's real key (Keys → Encryption master key → Generate) through MAWJLY_ENCRYPTION_KEY.
const DEMO_ENCRYPTION_KEY = 'ZXhhbXBsZXMtb25seS1ub3QtYS1zZWNyZXQtLS0tLS0=';

export const mawjly = {
  host: env.MAWJLY_HOST ?? '127.0.0.1',
  port: Number(env.MAWJLY_PORT ?? 6001),
  useTLS: env.MAWJLY_USE_TLS === 'true',
  cluster: env.MAWJLY_CLUSTER ?? 'sa',
  appId: env.MAWJLY_APP_ID ?? 'app-id',
  key: env.MAWJLY_APP_KEY ?? 'app-key',
  secret: env.MAWJLY_APP_SECRET ?? 'app-secret',
  encryptionMasterKeyBase64: env.MAWJLY_ENCRYPTION_KEY ?? DEMO_ENCRYPTION_KEY,
};

if (env.MAWJLY_ENCRYPTION_KEY === undefined) {
  stderr.write(
    'examples: MAWJLY_ENCRYPTION_KEY is not set, using the public demo key of examples/config.mjs\n',
  );
}

/** The port an example's own web server listens on (EXAMPLE_PORT, default 3000; 0 picks a free one). */
export const examplePort = Number(env.EXAMPLE_PORT ?? 3000);
