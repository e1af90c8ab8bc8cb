// The browser bundle (`/js/mawjly.js`): sets the global `Pusher` to the helper class, so the product
// page's snippet `new Pusher('KEY', { …, encryptionMasterKeyBase64 })` and Laravel Echo's
// `window.Pusher` lookup work as written. build.mjs maps `pusher-js` to its encryption build.
import { MawjlyPusher } from './mawjly-pusher.js';

(globalThis as unknown as { Pusher: typeof MawjlyPusher }).Pusher = MawjlyPusher;
