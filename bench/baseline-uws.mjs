#!/usr/bin/env node
// baseline-uws.mjs — the smallest Pusher-ish server on uWebSockets.js, using its native topic
// publish/subscribe for every delivery: the ceiling of that class of transport, as baseline-ws.mjs
// is the ceiling of a Node + `ws` stack. Not a product: it checks no signature, limit or channel
// name, keeps no cluster view and has no idle timeout.
//
//  * WebSocket /app/{key}: pusher:connection_established; every pusher:subscribe succeeds (so
//    private and private-encrypted ones too); pusher:ping gets pusher:pong.
//  * presence-* channels: the ack carries the member hash built from channel_data (not checked);
//    a user's first socket publishes member_added to the channel before it joins the topic (so it
//    does not hear itself), its last socket leaves the topic and then publishes member_removed.
//  * POST /apps/{id}/events (also {"channels":[...]}) and /apps/{id}/batch_events: each event is
//    serialised once and handed to app.publish(channel, …), which frames it once in C++ and writes
//    it to every subscriber of the topic.
//  * GET / and /ready: 200 OK.
//
// It needs the module `uWebSockets.js` with its native binary (the same optional dependency the
// uws transport uses). If the binary does not load — or the package falls back to its JavaScript
// emulation — it exits with code 3 and says so, rather than measure the emulation.
//
// usage: node bench/baseline-uws.mjs [--port 6003] [--host 127.0.0.1]
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const arg = (k, d) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : d;
};
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '6003'));
if (!/^127\.|^localhost$|^::1$/.test(host)) {
  console.error('baseline-uws binds to loopback only');
  process.exit(2);
}

/** The native uWS module, or null with the reason on stderr. */
function loadNative() {
  if (/^(1|true)$/i.test(process.env.UWS_USE_FALLBACK ?? '')) {
    console.error('baseline-uws: UWS_USE_FALLBACK is set; refusing to measure the JS emulation');
    return null;
  }
  const require = createRequire(import.meta.url);
  const warn = console.warn;
  const log = console.log;
  let complained = false;
  // Some republished builds print a warning and load a JavaScript emulation instead of failing.
  console.warn = console.log = () => {
    complained = true;
  };
  try {
    const uws = require('uWebSockets.js');
    // Only the native addon has the SSL app and the µWS-internal helpers.
    if (complained || typeof uws.SSLApp !== 'function' || typeof uws.getParts !== 'function') return null;
    return uws;
  } catch (error) {
    console.error(`baseline-uws: uWebSockets.js does not load: ${error.message}`);
    return null;
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

const uws = loadNative();
if (uws === null) {
  console.error('baseline-uws: no native uWebSockets.js on this machine (see docs/operations.md)');
  process.exit(3);
}

const decoder = new TextDecoder();
const json = JSON.stringify;
const presence = new Map(); // channel -> Map<user id, { info, n: sockets of this user }>
let nextId = 0;

const app = uws.App();

function subscribe(ws, ch, channelData) {
  const me = ws.getUserData();
  if (!ch.startsWith('presence-') || me.subs.has(ch)) {
    ws.subscribe(ch);
    me.subs.add(ch);
    ws.send(json({ event: 'pusher_internal:subscription_succeeded', channel: ch, data: '{}' }));
    return;
  }
  let u;
  try {
    u = JSON.parse(channelData);
  } catch {
    u = null;
  }
  const id = String(u && u.user_id !== undefined ? u.user_id : me.socketId);
  const info = (u && u.user_info) || {};
  let members = presence.get(ch);
  if (!members) presence.set(ch, (members = new Map()));
  const mem = members.get(id);
  if (mem) mem.n++;
  else {
    members.set(id, { info, n: 1 });
    const added = json({ user_id: id, user_info: info });
    app.publish(ch, json({ event: 'pusher_internal:member_added', channel: ch, data: added }));
  }
  ws.subscribe(ch);
  me.subs.add(ch);
  me.presence.set(ch, id);
  const hash = {};
  for (const [k, v] of members) hash[k] = v.info;
  const data = json({ presence: { ids: Object.keys(hash), hash, count: members.size } });
  ws.send(json({ event: 'pusher_internal:subscription_succeeded', channel: ch, data }));
}

/** Leaves ch; `closed`: the socket is gone (uWS already dropped its topics). */
function unsubscribe(ws, me, ch, closed) {
  if (!closed) ws.unsubscribe(ch);
  me.subs.delete(ch);
  const id = me.presence.get(ch);
  if (id === undefined) return;
  me.presence.delete(ch);
  const members = presence.get(ch);
  const mem = members && members.get(id);
  if (!mem || --mem.n > 0) return;
  members.delete(id);
  if (members.size === 0) presence.delete(ch);
  app.publish(
    ch,
    json({ event: 'pusher_internal:member_removed', channel: ch, data: json({ user_id: id }) }),
  );
}

app.ws('/app/:key', {
  compression: uws.DISABLED,
  maxPayloadLength: 100 * 1024,
  maxBackpressure: 16 * 1024 * 1024,
  idleTimeout: 0,
  upgrade: (res, req, context) => {
    res.upgrade(
      { subs: new Set(), presence: new Map(), socketId: `${process.pid}.${++nextId}` },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => {
    const data = json({ socket_id: ws.getUserData().socketId, activity_timeout: 120 });
    ws.send(json({ event: 'pusher:connection_established', data }));
  },
  message: (ws, message) => {
    let m;
    try {
      m = JSON.parse(decoder.decode(message));
    } catch {
      return;
    }
    const ch = m && m.data && m.data.channel;
    if (m.event === 'pusher:subscribe' && typeof ch === 'string') subscribe(ws, ch, m.data.channel_data);
    else if (m.event === 'pusher:unsubscribe' && typeof ch === 'string')
      unsubscribe(ws, ws.getUserData(), ch, false);
    else if (m.event === 'pusher:ping') ws.send('{"event":"pusher:pong","data":"{}"}');
  },
  close: (ws) => {
    const me = ws.getUserData();
    for (const ch of [...me.subs]) unsubscribe(ws, me, ch, true);
  },
});

function publishBody(res, body) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    res.cork(() => res.writeStatus('400 Bad Request').end('{"error":"invalid JSON"}'));
    return;
  }
  const events = Array.isArray(parsed.batch) ? parsed.batch : [parsed];
  for (const ev of events) {
    const names = Array.isArray(ev.channels) ? ev.channels : ev.channel ? [ev.channel] : [];
    for (const ch of names) {
      if (app.numSubscribers(ch) === 0) continue;
      app.publish(ch, json({ event: ev.name, channel: ch, data: ev.data }));
    }
  }
  res.cork(() => res.writeHeader('content-type', 'application/json').end('{}'));
}

function readBody(res, done) {
  const chunks = [];
  let size = 0;
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  res.onData((chunk, isLast) => {
    if (aborted) return;
    size += chunk.byteLength;
    if (size > 10 * 1024 * 1024) {
      aborted = true;
      res.close();
      return;
    }
    chunks.push(Buffer.from(chunk.slice(0))); // uWS reuses the chunk's memory after this call
    if (isLast) done(res, Buffer.concat(chunks).toString());
  });
}

app.post('/apps/:id/events', (res) => readBody(res, publishBody));
app.post('/apps/:id/batch_events', (res) => readBody(res, publishBody));
app.get('/', (res) => res.end('OK'));
app.get('/ready', (res) => res.end('OK'));
app.any('/*', (res) => res.writeStatus('404 Not Found').end());

let listenSocket = null;
app.listen(host, port, (socket) => {
  if (!socket) {
    console.error(`baseline-uws: cannot listen on ${host}:${port}`);
    process.exit(1);
  }
  listenSocket = socket;
  console.log(`baseline-uws listening on ${host}:${uws.us_socket_local_port(socket)} pid ${process.pid}`);
});

const stop = () => {
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
  listenSocket = null;
  setTimeout(() => process.exit(0), 100);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
