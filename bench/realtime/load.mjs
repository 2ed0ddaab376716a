// The client side of bench/realtime, the same for every server: opens
// PER_USER authenticated connections for each user, measures the server's
// resident memory idle and with them open, then publishes progress events
// to the Redis channel every server follows (as the product's workers do)
// at RATE events a second for SECONDS, each to one user, and measures
// publish-to-receipt latency over every connection of that user.
//   node load.mjs TARGET URL TOKENS_FILE PER_USER SERVER_PID REDIS_URL RATE SECONDS
// TARGET: ours | ws | socketio. Prints one JSON line.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../../tests/tools/package.json', import.meta.url));
const WebSocket = require('ws');
const { io } = require('socket.io-client');
const Redis = require('ioredis');

const [target, url, tokensFile, perUserText, pidText, redisUrl, rateText, secondsText] = process.argv.slice(2);
const users = JSON.parse(readFileSync(tokensFile, 'utf8'));  // [{ user, token }]
const perUser = Number(perUserText), pid = Number(pidText), rate = Number(rateText), seconds = Number(secondsText);
const now = () => performance.timeOrigin + performance.now();
// utime + stime of the server, in clock ticks (100 a second).
const cpuTicks = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')')[1].trim().split(' ');
  return Number(f[11]) + Number(f[12]);
};
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const latencies = [];
let received = 0;
function onEvent(text) {
  const m = JSON.parse(text);
  if (m.type !== 'event') return;
  received += 1;
  latencies.push(now() - m.event.data.sent);
}

function open({ token }) {
  return new Promise((resolve, reject) => {
    if (target === 'socketio') {
      const s = io(url, { transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false });
      s.on('connect', () => resolve(s));
      s.on('connect_error', reject);
      s.on('event', onEvent);
      return;
    }
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', interviewId: null })));
    ws.on('error', reject);
    let subscribed = false;
    ws.on('message', (data) => {
      if (!subscribed) {
        subscribed = true;
        resolve(ws);
        return;
      }
      onEvent(data.toString());
    });
  });
}

const idle = rssKb();
const sockets = [];
const plan = users.flatMap((u) => Array.from({ length: perUser }, () => u));
const started = Date.now();
for (let i = 0; i < plan.length; i += 250) {
  sockets.push(...await Promise.all(plan.slice(i, i + 250).map(open)));
}
const connectSeconds = (Date.now() - started) / 1000;
await sleep(2000);
const connected = rssKb();

// Publishing: keep up with the clock (catching up after a slow tick).
const redis = new Redis(redisUrl, { enableAutoPipelining: true });
const total = rate * seconds;
let sent = 0, maxRss = connected;
const cpuBefore = cpuTicks();
const clientCpuBefore = process.cpuUsage();
const begin = now();
while (sent < total) {
  const due = Math.min(total, Math.floor(((now() - begin) / 1000) * rate));
  for (; sent < due; ++sent) {
    const u = users[sent % users.length];
    redis.publish('ic:events', JSON.stringify({
      k: 'e', u: u.user, t: 'interview.progress', i: '01934f6e-8a4b-7c3d-9e2f-1a2b3c4d5e6f',
      d: { stage: 'transcribe', percent: sent % 100, sent: now() }, a: Date.now(),
    }));
  }
  maxRss = Math.max(maxRss, rssKb());
  await sleep(5);
}
const expected = total * perUser;
const deadline = Date.now() + 5000;
while (received < expected && Date.now() < deadline) {
  maxRss = Math.max(maxRss, rssKb());
  await sleep(20);
}
const after = rssKb();
const cpuSeconds = (cpuTicks() - cpuBefore) / 100;
const clientCpu = process.cpuUsage(clientCpuBefore);
latencies.sort((a, b) => a - b);
const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null);
console.log(JSON.stringify({
  target, connections: sockets.length, connectSeconds,
  idleRssMiB: +(idle / 1024).toFixed(1), connectedRssMiB: +(connected / 1024).toFixed(1),
  perConnectionKiB: +((connected - idle) / sockets.length).toFixed(2),
  ratePerSecond: rate * perUser, expected, received,
  p50ms: q(0.5) && +q(0.5).toFixed(2), p99ms: q(0.99) && +q(0.99).toFixed(2), maxMs: q(1) && +q(1).toFixed(2),
  peakRssMiB: +(maxRss / 1024).toFixed(1), afterRssMiB: +(after / 1024).toFixed(1),
  serverCpuSeconds: cpuSeconds, clientCpuSeconds: +((clientCpu.user + clientCpu.system) / 1e6).toFixed(2), cpuMicrosPerDelivery: +((cpuSeconds * 1e6) / Math.max(received, 1)).toFixed(2),
}));
for (const s of sockets) (s.disconnect ?? s.terminate).call(s);
redis.disconnect();
process.exit(0);
