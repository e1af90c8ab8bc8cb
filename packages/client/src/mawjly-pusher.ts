// The pusher-js class, plus the `encryptionMasterKeyBase64` option of the product page's snippet.
import * as PusherModule from 'pusher-js';
import type { Channel, Options } from 'pusher-js';
import { withDerivedSharedSecret } from './derived-secret-authorizer.js';
import { HistoryRecovery } from './history-recovery.js';
import { encryptClientEvents } from './encrypted-client-events.js';
import { decodeMasterKey, isEncryptedChannel } from './master-key.js';
import { keyRingFor, type KeyRingOptions, type KeyRingState } from './key-ring-client.js';

// pusher-js is CommonJS (`module.exports = Pusher`) typed as `export default`; depending on the
// loader (Node ESM, esbuild, tsx) the namespace is the class or holds it under `default`.
type Unwrap<T> = T extends { default: infer D } ? Unwrap<D> : T;
const Pusher = unwrapDefault(PusherModule) as Unwrap<typeof PusherModule>;
type ClusterOptions = Parameters<InstanceType<typeof Pusher>['switchCluster']>[0];

export type MawjlyOptions = Options & {
  /**
   * The app's encryption master key (32 bytes, standard base64 with padding). When set, the client
   * derives each `private-encrypted-*` channel's key itself if the authorization carries no
   * `shared_secret`. Whoever holds it can read every encrypted channel of the app: give it only to
   * trusted processes (docs/client-helper.md).
   */
  encryptionMasterKeyBase64?: string | undefined;
} & KeyRingOptions;

// Outside the instance on purpose: nothing reachable from the object (console.log, JSON.stringify,
// debuggers' property views, error reporters) shows the key.
const masterKeys = new WeakMap<object, Uint8Array>();
const recoveries = new WeakMap<object, HistoryRecovery>();

function splitOptions(options: MawjlyOptions): { pusherOptions: Options; masterKey: Uint8Array | undefined } {
  // Missing options: let pusher-js throw its own "You must pass an options object".
  if (typeof options !== 'object' || (options as unknown) === null) {
    return { pusherOptions: options, masterKey: undefined };
  }
  const {
    encryptionMasterKeyBase64,
    previousEncryptionMasterKeyBase64: _previous,
    reportDecryptionFailures: _report,
    ...pusherOptions
  } = options;
  const masterKey =
    encryptionMasterKeyBase64 === undefined ? undefined : decodeMasterKey(encryptionMasterKeyBase64);
  return { pusherOptions, masterKey };
}

const keyRings = new WeakMap<object, KeyRingState>();

export class MawjlyPusher extends Pusher {
  constructor(appKey: string, options: MawjlyOptions) {
    const { pusherOptions, masterKey } = splitOptions(options);
    super(appKey, pusherOptions);
    if (masterKey !== undefined) {
      masterKeys.set(this, masterKey);
      this.config.channelAuthorizer = withDerivedSharedSecret(this.config.channelAuthorizer, masterKey);
    }
    const ring = keyRingFor(this, options, masterKey);
    keyRings.set(this, ring);
    this.config.channelAuthorizer = ring.ring.wrap(this.config.channelAuthorizer);
    recoveries.set(this, new HistoryRecovery(this));
  }

  // Encrypted channels get a `trigger` that sends ciphertext (encrypted-client-events.ts) and
  // decrypt with the current, then the previous secret (key-ring-decryption.ts); every channel is
  // hooked for recovery after reconnects (history-recovery.ts).
  override subscribe(channelName: string): Channel {
    const channel = encryptClientEvents(super.subscribe(channelName));
    const ring = keyRings.get(this);
    if (ring && isEncryptedChannel(channelName)) ring.install(channel);
    recoveries.get(this)?.hookChannel(channel);
    return channel;
  }

  // Recovery: hooks on unsubscribe and sends.
  override unsubscribe(channelName: string): void {
    recoveries.get(this)?.forget(channelName);
    super.unsubscribe(channelName);
  }

  override send_event(eventName: string, data: unknown, channel?: string): boolean {
    const recovery = recoveries.get(this);
    return super.send_event(eventName, recovery ? recovery.decorate(eventName, data) : data, channel);
  }

  // pusher-js rebuilds its config (and so its authorizer) when switching cluster.
  override switchCluster(options: ClusterOptions): void {
    super.switchCluster(options);
    const masterKey = masterKeys.get(this);
    if (masterKey !== undefined) {
      this.config.channelAuthorizer = withDerivedSharedSecret(this.config.channelAuthorizer, masterKey);
    }
    const ring = keyRings.get(this);
    if (ring) this.config.channelAuthorizer = ring.ring.wrap(this.config.channelAuthorizer);
  }
}

// pusher-js copies its class's `logToConsole` and `log` into its logger at construction; forward
// them so `MawjlyPusher.logToConsole = true` works as it does on the stock class.
for (const name of ['logToConsole', 'log'] as const) {
  Object.defineProperty(MawjlyPusher, name, {
    configurable: true,
    enumerable: true,
    get(): unknown {
      return Pusher[name];
    },
    set(value: unknown) {
      (Pusher as unknown as Record<string, unknown>)[name] = value;
    },
  });
}

export default MawjlyPusher;

function unwrapDefault(value: unknown): unknown {
  let current = value;
  while (typeof current === 'object' && current !== null && 'default' in current) {
    current = current.default;
  }
  return current;
}
