// The peers of bench/realtime: the same fan-out as the product's, in
// Node.js: a Socket.IO 4.8 server or a bare `ws` 8 server that
// authenticates each connection with the same HS256 access token, follows
// the same Redis pub/sub channel (ic:events) and sends each user's events
// to that user's sockets, in the same JSON as the product's WebSocket.
//   node peer-server.mjs ws|socketio PORT REDIS_URL JWT_SECRET
import { createRequire } from 'node:module';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

const require = createRequire(new URL('../../tests/tools/package.json', import.meta.url));
const [mode, portText, redisUrl, secret] = process.argv.slice(2);
const Redis = require('ioredis');

// The user of a valid HS256 token, or null.
function verify(token) {
  const parts = String(token ?? '').split('.');
  if (parts.length !== 3) return null;
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
  if (claims.exp && claims.exp * 1000 < Date.now()) return null;
  return claims.sub ?? null;
}

// The product's WebSocket message for a pub/sub message.
function toMessage(m) {
  return JSON.stringify({
    type: 'event',
    event: { seq: m.s ?? null, type: m.t, interviewId: m.i ?? null, data: m.d, at: new Date(m.a).toISOString() },
  });
}

let deliver;
const server = http.createServer();
if (mode === 'ws') {
  const { WebSocketServer } = require('ws');
  const byUser = new Map();
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 16 * 1024 });
  wss.on('connection', (socket, req) => {
    const user = verify((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!user) return socket.close(4001, 'unauthorized');
    if (!byUser.has(user)) byUser.set(user, new Set());
    byUser.get(user).add(socket);
    socket.on('close', () => {
      const set = byUser.get(user);
      set.delete(socket);
      if (set.size === 0) byUser.delete(user);
    });
    socket.on('message', () => socket.send(JSON.stringify({ type: 'subscribed', interviewId: null, seq: 0 })));
  });
  deliver = (m) => {
    const set = byUser.get(m.u);
    if (!set) return;
    const text = toMessage(m);
    for (const s of set) s.send(text);
  };
} else if (mode === 'socketio') {
  const { Server } = require('socket.io');
  const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  io.use((socket, next) => {
    const user = verify(socket.handshake.auth?.token);
    if (!user) return next(new Error('unauthorized'));
    socket.data.user = user;
    next();
  });
  io.on('connection', (socket) => socket.join(socket.data.user));
  deliver = (m) => io.to(m.u).emit('event', toMessage(m));
} else {
  throw new Error(`unknown mode ${mode}`);
}

const sub = new Redis(redisUrl);
await sub.subscribe('ic:events');
sub.on('message', (_channel, text) => {
  const m = JSON.parse(text);
  if (m.k === 'e') deliver(m);
});
server.listen(Number(portText), '127.0.0.1', () => console.log('READY'));
