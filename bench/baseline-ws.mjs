#!/usr/bin/env node
// baseline-ws.mjs — the smallest Pusher-ish server on Node's http + the `ws` package.
// It stands for "the fastest a Node + ws server can do": a reference ceiling, not a product.
//
//  * WebSocket /app/{key}: sends pusher:connection_established; acks pusher:subscribe for ANY
//    channel (no auth checks, so private-encrypted subscriptions also succeed); answers pusher:ping.
//  * presence-* channels: the ack carries the presence hash (user_id/user_info from channel_data,
//    not validated); the first socket of a user id sends member_added to the other subscribers,
//    the last one to leave sends member_removed.
//  * POST /apps/{id}/events (also {"channels":[...]}) and /batch_events ({"batch":[...]}): builds
//    the Pusher frame once and sends that pre-serialized buffer to every subscriber. No signature
//    checks.
//
// usage: node baseline-ws.mjs [--port 6002] [--host 127.0.0.1] [--mode send|frame]
//   --mode send  (default) ws.send(preSerializedBuffer) per subscriber (public ws API)
//   --mode frame build the complete WebSocket frame once (ws's Sender.frame) and write those
//                bytes straight to each subscriber's TCP socket (skips per-socket framing)
import http from 'node:http';
import { WebSocketServer, WebSocket, Sender } from 'ws';

const args = process.argv.slice(2);
const arg = (k, d) => { const i = args.indexOf(`--${k}`); return i >= 0 && i + 1 < args.length ? args[i + 1] : d; };
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', 6002));
const mode = arg('mode', 'send');
if (!/^127\.|^localhost$|^::1$/.test(host)) { console.error('baseline-ws binds to loopback only'); process.exit(2); }
if (!['send', 'frame'].includes(mode)) { console.error('--mode must be send or frame'); process.exit(2); }

const channels = new Map(); // channel -> Set<ws>
const presence = new Map(); // presence channel -> Map<user_id, { info, n: sockets of this user }>
let nextId = 0;
const json = (o) => JSON.stringify(o);

function broadcast(subs, payload) {
  if (mode === 'send') {
    for (const ws of subs) if (ws.readyState === WebSocket.OPEN) ws.send(payload, { binary: false });
    return;
  }
  const parts = Sender.frame(payload, { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false });
  const frame = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  for (const ws of subs) if (ws.readyState === WebSocket.OPEN) ws._socket.write(frame);
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && /^\/apps\/[^/?]+\/(batch_)?events(\?|$)/.test(req.url)) {
    const chunks = []; let size = 0;
    req.on('data', (c) => { size += c.length; if (size > 10 * 1024 * 1024) req.destroy(); else chunks.push(c); });
    req.on('end', () => {
      let body;
      try { body = JSON.parse(Buffer.concat(chunks).toString()); } catch { res.writeHead(400).end('{"error":"invalid JSON"}'); return; }
      const events = Array.isArray(body.batch) ? body.batch : [body];
      for (const ev of events) {
        const names = Array.isArray(ev.channels) ? ev.channels : ev.channel ? [ev.channel] : [];
        for (const ch of names) {
          const subs = channels.get(ch);
          if (!subs || subs.size === 0) continue;
          broadcast(subs, Buffer.from(json({ event: ev.name, channel: ch, data: ev.data })));
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    return;
  }
  if (req.method === 'GET' && (req.url === '/' || req.url === '/ready')) { res.writeHead(200).end('OK'); return; }
  res.writeHead(404).end();
});

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 100 * 1024, skipUTF8Validation: true });
server.on('upgrade', (req, socket, head) => {
  if (!req.url.startsWith('/app/')) { socket.destroy(); return; }
  wss.handleUpgrade(req, socket, head, onConnection);
});

const sendTo = (subs, o) => { if (subs && subs.size) broadcast(subs, Buffer.from(json(o))); };

function subscribe(ws, ch, channelData) {
  let s = channels.get(ch); if (!s) channels.set(ch, (s = new Set()));
  if (!ch.startsWith('presence-') || ws.subs.has(ch)) {
    s.add(ws); ws.subs.add(ch);
    ws.send(json({ event: 'pusher_internal:subscription_succeeded', channel: ch, data: '{}' }));
    return;
  }
  let u; try { u = JSON.parse(channelData); } catch { u = null; }
  const id = String(u && u.user_id !== undefined ? u.user_id : ws.socketId), info = (u && u.user_info) || {};
  let members = presence.get(ch); if (!members) presence.set(ch, (members = new Map()));
  const mem = members.get(id);
  if (mem) mem.n++;
  else { members.set(id, { info, n: 1 }); sendTo(s, { event: 'pusher_internal:member_added', channel: ch, data: json({ user_id: id, user_info: info }) }); }
  s.add(ws); ws.subs.add(ch); ws.presence.set(ch, id);
  const hash = {}; for (const [k, v] of members) hash[k] = v.info;
  ws.send(json({ event: 'pusher_internal:subscription_succeeded', channel: ch, data: json({ presence: { ids: Object.keys(hash), hash, count: members.size } }) }));
}

function unsubscribe(ws, ch) {
  const s = channels.get(ch); if (s) { s.delete(ws); if (!s.size) channels.delete(ch); }
  ws.subs.delete(ch);
  const id = ws.presence.get(ch); if (id === undefined) return;
  ws.presence.delete(ch);
  const members = presence.get(ch), mem = members && members.get(id);
  if (!mem || --mem.n > 0) return;
  members.delete(id); if (!members.size) presence.delete(ch);
  sendTo(s, { event: 'pusher_internal:member_removed', channel: ch, data: json({ user_id: id }) });
}

function onConnection(ws) {
  ws.subs = new Set(); ws.presence = new Map(); ws.socketId = `${process.pid}.${++nextId}`;
  ws.send(json({ event: 'pusher:connection_established', data: json({ socket_id: ws.socketId, activity_timeout: 120 }) }));
  ws.on('message', (data) => {
    let m; try { m = JSON.parse(data.toString()); } catch { return; }
    const ch = m && m.data && m.data.channel;
    if (m.event === 'pusher:subscribe' && typeof ch === 'string') subscribe(ws, ch, m.data.channel_data);
    else if (m.event === 'pusher:unsubscribe' && typeof ch === 'string') unsubscribe(ws, ch);
    else if (m.event === 'pusher:ping') ws.send('{"event":"pusher:pong","data":"{}"}');
  });
  ws.on('close', () => { for (const ch of [...ws.subs]) unsubscribe(ws, ch); });
  ws.on('error', () => {});
}

server.listen(port, host, () => console.log(`baseline-ws (mode=${mode}) listening on ${host}:${server.address().port} pid ${process.pid}`));
const stop = () => { server.close(); for (const ws of wss.clients) ws.terminate(); setTimeout(() => process.exit(0), 100); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
