// Where the examples find Mawjly and the app: environment variables. Host and port default to what
// `npm start` listens on; the app's credentials are the ones it prints (examples/README.md).
import { env, stderr } from 'node:process';

// A PUBLIC key, for local demos only: anyone who reads this file can decrypt what it protects.
// Use your app's real key (Keys → Encryption master key → Generate) through MAWJLY_ENCRYPTION_KEY.
const DEMO_ENCRYPTION_KEY = 'ZXhhbXBsZXMtb25seS1ub3QtYS1zZWNyZXQtLS0tLS0=';

/** Reads the connection settings; exits with a readable message when a credential is missing. */
export function mawjlyFromEnv() {
  const missing = ['MAWJLY_APP_ID', 'MAWJLY_APP_KEY', 'MAWJLY_APP_SECRET'].filter((name) => !env[name]);
  if (missing.length > 0) {
    stderr.write(
      `examples: set ${missing.join(', ')} to the app_id, key and secret that \`npm start\` prints ` +
        '(or to your app on Mawjly); see examples/README.md\n',
    );
    process.exit(2);
  }
  // Set but empty counts as not set (`MAWJLY_ENCRYPTION_KEY=` in a shell or an .env file).
  const encryptionKey = env.MAWJLY_ENCRYPTION_KEY || undefined;
  if (encryptionKey === undefined) {
    stderr.write(
      'examples: MAWJLY_ENCRYPTION_KEY is not set (or empty), using the public demo key of examples/config.mjs\n',
    );
  }
  return {
    host: env.MAWJLY_HOST ?? '127.0.0.1',
    port: Number(env.MAWJLY_PORT ?? 6001),
    useTLS: env.MAWJLY_USE_TLS === 'true',
    cluster: env.MAWJLY_CLUSTER ?? 'sa',
    appId: env.MAWJLY_APP_ID,
    key: env.MAWJLY_APP_KEY,
    secret: env.MAWJLY_APP_SECRET,
    encryptionMasterKeyBase64: encryptionKey ?? DEMO_ENCRYPTION_KEY,
  };
}

/** The port an example's own web server listens on (EXAMPLE_PORT, default 3000; 0 picks a free one). */
export function examplePortFromEnv() {
  return Number(env.EXAMPLE_PORT ?? 3000);
}
