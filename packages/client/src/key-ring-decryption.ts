// Lossless key rotation on the client (issue 11 §2). An encrypted channel decrypts each event with
// the channel's current secret, then with the previous one (`previous_shared_secret` from the auth
// endpoint, or derived from `previousEncryptionMasterKeyBase64`), and only then re-authorizes once,
// as pusher-js does. Events arriving during that re-authorization wait behind it, so order holds.
// An event no key opens is not dropped silently: the channel emits `mawjly:decryption_failed`
// ({ channel, event, tried: [{ key, fingerprint }] }) and the client reports a count (never content)
// to the server with a `mawjly:decryption_failures` frame.
import type { ChannelAuthorizationHandler } from 'pusher-js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64ToBytes, deriveSharedSecret, isEncryptedChannel } from './master-key.js';

export const DECRYPTION_FAILED_EVENT = 'mawjly:decryption_failed';
export const DECRYPTION_FAILURES_FRAME = 'mawjly:decryption_failures';
/** Reports are batched this long, and carry at most this many failures each (the server's bound). */
const REPORT_DELAY_MS = 1000;
export const MAX_REPORTED_FAILURES = 1000;
const FINGERPRINT_DOMAIN = 'mawjly-encryption-key-fingerprint-v1\0';

export interface TriedKey {
  /** `current` (the channel's secret) or `previous` (the rotation window's older secret). */
  readonly key: 'current' | 'previous';
  /** Fingerprint of the master key behind it, as Mawjly shows it; null when unknown. */
  readonly fingerprint: string | null;
}

export interface DecryptionFailure {
  readonly channel: string;
  readonly event: string;
  readonly tried: readonly TriedKey[];
}

/** What the client knows about one encrypted channel's keys besides pusher-js's own `key`. */
interface ChannelKeys {
  currentFingerprint: string | null;
  previous: Uint8Array | undefined;
  previousFingerprint: string | null;
}

/** Mawjly's fingerprint of a master key (hex of SHA-256(domain ‖ key), 16 bytes, grouped by 4). */
export function masterKeyFingerprint(key: Uint8Array): string {
  const domain = new TextEncoder().encode(FINGERPRINT_DOMAIN);
  const input = new Uint8Array(domain.length + key.length);
  input.set(domain, 0);
  input.set(key, domain.length);
  const digest = sha256(input);
  input.fill(0);
  let hex = '';
  for (const byte of digest.subarray(0, 16)) hex += byte.toString(16).padStart(2, '0');
  return (hex.match(/.{4}/g) ?? []).join(':');
}

export interface RingOptions {
  readonly masterKey: Uint8Array | undefined;
  readonly previousMasterKey: Uint8Array | undefined;
}

/** Per client: the channels' extra keys, taken from each authorization. */
export class ChannelKeyRing {
  readonly #channels = new Map<string, ChannelKeys>();
  readonly #options: RingOptions;

  constructor(options: RingOptions) {
    this.#options = options;
  }

  get(channel: string): ChannelKeys | undefined {
    return this.#channels.get(channel);
  }

  /**
   * Wraps the authorizer: for encrypted channels it keeps `previous_shared_secret` and the key
   * fingerprints, and hands pusher-js the authorization without them.
   */
  wrap(handler: ChannelAuthorizationHandler): ChannelAuthorizationHandler {
    return (params, callback) => {
      if (!isEncryptedChannel(params.channelName)) {
        handler(params, callback);
        return;
      }
      handler(params, (error, authData) => {
        if (error !== null || authData === null) {
          callback(error, authData);
          return;
        }
        const {
          previous_shared_secret: previousSecret,
          key_fingerprint: currentFingerprint,
          previous_key_fingerprint: previousFingerprint,
          ...rest
        } = authData as typeof authData & Record<string, unknown>;
        this.#remember(params.channelName, rest.shared_secret, previousSecret, {
          current: currentFingerprint,
          previous: previousFingerprint,
        });
        callback(null, rest);
      });
    };
  }

  #remember(
    channel: string,
    sharedSecret: unknown,
    previousSecret: unknown,
    fingerprints: { current: unknown; previous: unknown },
  ): void {
    const { masterKey, previousMasterKey } = this.#options;
    const text = (value: unknown): string | null =>
      typeof value === 'string' && value !== '' ? value : null;
    let previous: Uint8Array | undefined;
    let previousFingerprint = text(fingerprints.previous);
    const given = text(previousSecret);
    if (given !== null) {
      previous = decodeSecret(given);
    } else if (previousMasterKey !== undefined) {
      previous = decodeSecret(deriveSharedSecret(channel, previousMasterKey));
      previousFingerprint = masterKeyFingerprint(previousMasterKey);
    }
    let currentFingerprint = text(fingerprints.current);
    // A secret derived here from the master key (no fingerprint from the endpoint): ours.
    if (
      currentFingerprint === null &&
      masterKey !== undefined &&
      text(sharedSecret) === deriveSharedSecret(channel, masterKey)
    )
      currentFingerprint = masterKeyFingerprint(masterKey);
    this.#channels.set(channel, { currentFingerprint, previous, previousFingerprint });
  }
}

function decodeSecret(base64: string): Uint8Array | undefined {
  try {
    const bytes = base64ToBytes(base64);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The parts of pusher-js's EncryptedChannel this module uses (they are not in its typings). */
interface EncryptedChannelInternals {
  readonly name: string;
  key: Uint8Array | null;
  readonly nacl: {
    secretbox: {
      open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
      readonly overheadLength: number;
      readonly nonceLength: number;
    };
  };
  readonly pusher: { connection: { socket_id: string } };
  handleEvent(event: { event: string; data: unknown }): void;
  authorize(socketId: string, callback: (error: Error | null, data: unknown) => void): void;
  emit(event: string, data?: unknown): unknown;
  getDataToEmit(bytes: Uint8Array): unknown;
}

export interface FailureReporter {
  failed(count: number): void;
}

const installed = new WeakSet<object>();

/**
 * Replaces an encrypted channel's event handling (its pusher-js instance only): current secret,
 * previous secret, one re-authorization, then `mawjly:decryption_failed`. Anything that is not an
 * envelope this module can read goes to pusher-js's own handling unchanged.
 */
export function installKeyRingDecryption(
  channelObject: object,
  ring: ChannelKeyRing,
  reporter: FailureReporter,
): void {
  const channel = channelObject as EncryptedChannelInternals;
  if (installed.has(channel) || !('nacl' in channel)) return;
  installed.add(channel);
  const original = channel.handleEvent.bind(channel);
  /** Events waiting for a re-authorization to finish, in arrival order. */
  let queue: { event: string; box: Uint8Array; nonce: Uint8Array }[] | undefined;

  const open = (box: Uint8Array, nonce: Uint8Array): Uint8Array | null => {
    const { secretbox } = channel.nacl;
    const current = channel.key ? secretbox.open(box, nonce, channel.key) : null;
    if (current !== null) return current;
    const previous = ring.get(channel.name)?.previous;
    return previous ? secretbox.open(box, nonce, previous) : null;
  };

  const fail = (event: string): void => {
    const keys = ring.get(channel.name);
    const tried: TriedKey[] = [{ key: 'current', fingerprint: keys?.currentFingerprint ?? null }];
    if (keys?.previous) tried.push({ key: 'previous', fingerprint: keys.previousFingerprint });
    const failure: DecryptionFailure = { channel: channel.name, event, tried };
    reporter.failed(1);
    channel.emit(DECRYPTION_FAILED_EVENT, failure);
  };

  const deliver = (event: string, box: Uint8Array, nonce: Uint8Array, retried: boolean): void => {
    const bytes = open(box, nonce);
    if (bytes !== null) channel.emit(event, channel.getDataToEmit(bytes));
    else if (retried) fail(event);
    else {
      queue = [{ event, box, nonce }];
      channel.authorize(channel.pusher.connection.socket_id, () => {
        // Success or not, every waiting event gets one more try with whatever keys are there now.
        const waiting = queue ?? [];
        queue = undefined;
        for (const item of waiting) deliver(item.event, item.box, item.nonce, true);
      });
    }
  };

  channel.handleEvent = (frame) => {
    const { event, data } = frame;
    if (event.startsWith('pusher:') || event.startsWith('pusher_internal:') || !channel.key) {
      original(frame);
      return;
    }
    const envelope = readEnvelope(data, channel.nacl.secretbox);
    if (!envelope) {
      original(frame);
      return;
    }
    if (queue) queue.push({ event, ...envelope });
    else deliver(event, envelope.box, envelope.nonce, false);
  };
}

function readEnvelope(
  data: unknown,
  secretbox: { overheadLength: number; nonceLength: number },
): { box: Uint8Array; nonce: Uint8Array } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { ciphertext, nonce } = data as { ciphertext?: unknown; nonce?: unknown };
  if (typeof ciphertext !== 'string' || typeof nonce !== 'string') return undefined;
  try {
    const box = base64ToBytes(ciphertext);
    const nonceBytes = base64ToBytes(nonce);
    if (box.length < secretbox.overheadLength || nonceBytes.length !== secretbox.nonceLength)
      return undefined;
    return { box, nonce: nonceBytes };
  } catch {
    return undefined;
  }
}

/** Batches failure counts into `mawjly:decryption_failures` frames while the socket is connected. */
export class FailureCounter implements FailureReporter {
  #pending = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #send: (count: number) => boolean;

  constructor(send: (count: number) => boolean) {
    this.#send = send;
  }

  failed(count: number): void {
    this.#pending += count;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, REPORT_DELAY_MS);
    // Never keeps a Node process alive by itself.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Sends what is pending; keeps it (and retries later) when the socket cannot take it. */
  flush(): void {
    while (this.#pending > 0) {
      const count = Math.min(this.#pending, MAX_REPORTED_FAILURES);
      if (!this.#send(count)) {
        this.#schedule();
        return;
      }
      this.#pending -= count;
    }
  }
}
