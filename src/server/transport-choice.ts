// MAWJLY_TRANSPORT: which listener serves HTTP and WebSockets. `auto` prefers uWebSockets.js and
// falls back to node:http + ws when its native module cannot load here (another Node ABI, platform
// or libc, the optional dependency not installed, or UWS_USE_FALLBACK set): the server always runs.
import type { Config } from '../config/config.js';
import { loadUws, type UwsLoad, type UwsModule } from '../transport/uws/uws-loader.js';

export type TransportChoice =
  | { readonly kind: 'uws'; readonly uws: UwsModule }
  | { readonly kind: 'ws'; readonly fallbackReason?: string };

/** Throws when `uws` is asked for explicitly and cannot load: the operator asked for it. */
export function chooseTransport(wanted: Config['transport'], load: () => UwsLoad = loadUws): TransportChoice {
  if (wanted === 'ws') return { kind: 'ws' };
  const loaded = load();
  if (loaded.ok) return { kind: 'uws', uws: loaded.uws };
  if (wanted === 'uws')
    throw new Error(`MAWJLY_TRANSPORT=uws: uWebSockets.js is not available: ${loaded.reason}`);
  return { kind: 'ws', fallbackReason: loaded.reason };
}
