// The options of the key ring (issue 11 §2) and the per-client state MawjlyPusher keeps for it.
import {
  ChannelKeyRing,
  FailureCounter,
  DECRYPTION_FAILURES_FRAME,
  installKeyRingDecryption,
} from './key-ring-decryption.js';
import { decodeMasterKey } from './master-key.js';

export interface KeyRingOptions {
  /**
   * The master key being rotated away (only with `encryptionMasterKeyBase64`): events encrypted
   * with it still decrypt, when the authorization carries no `previous_shared_secret`.
   */
  previousEncryptionMasterKeyBase64?: string | undefined;
  /**
   * Send the server a count of events this client could not decrypt (`mawjly:decryption_failures`
   * frames: a number, never content), shown per app in the dashboard. Default true.
   */
  reportDecryptionFailures?: boolean | undefined;
}

export interface KeyRingState {
  readonly ring: ChannelKeyRing;
  install(channel: object): void;
}

interface Sender {
  readonly connection: { readonly state: string };
  send_event(name: string, data: unknown, channel?: string): boolean;
}

export function keyRingFor(
  client: Sender,
  options: KeyRingOptions,
  masterKey: Uint8Array | undefined,
): KeyRingState {
  const previousMasterKey =
    options.previousEncryptionMasterKeyBase64 === undefined
      ? undefined
      : decodeMasterKey(options.previousEncryptionMasterKeyBase64);
  const ring = new ChannelKeyRing({ masterKey, previousMasterKey });
  const report = options.reportDecryptionFailures !== false;
  const counter = new FailureCounter((count) =>
    !report
      ? true
      : client.connection.state === 'connected' && client.send_event(DECRYPTION_FAILURES_FRAME, { count }),
  );
  return {
    ring,
    install: (channel) => {
      installKeyRingDecryption(channel, ring, counter);
    },
  };
}
