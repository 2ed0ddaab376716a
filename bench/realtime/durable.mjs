// Durable events on the product's whole path: HTTP request -> transaction
// (the interview's status change and its stored event, with its seq) ->
// commit -> pub/sub -> hub -> WebSocket, on SQLite. Each of USERS users
// gets INTERVIEWS interviews with a recording (`--workers none`: nothing
// processes them), then CONCURRENCY clients cancel and retry them as fast
// as the server takes it for SECONDS: every answer is one committed event.
// One WebSocket per user, subscribed to all, measures from the event's
// `at` (taken in its transaction, just before the commit) to receipt.
//   node durable.mjs BASE_URL USERS INTERVIEWS CONCURRENCY SECONDS WAV [SERVER_PID]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import http from 'node:http';

const require = createRequire(new URL('../../tests/tools/package.json', import.meta.url));
const WebSocket = require('ws');
const [base, usersText, perUserText, concurrencyText, secondsText, wavPath, pidText] = process.argv.slice(2);
// utime + stime of the server, all threads, in seconds (clock ticks of 10 ms).
const serverCpu = () => {
  if (!pidText) return 0;
  const fields = readFileSync(`/proc/${pidText}/stat`, 'utf8').split(')')[1].trim().split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const wav = readFileSync(wavPath);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrencyText) + 4 });

function call(method, path, { token, body, type } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (payload) {
      headers['Content-Type'] = type ?? 'application/json';
      headers['Content-Length'] = payload.length;
    }
    if (type?.startsWith('audio/')) headers['Recording-Consent'] = 'all-parties';
    const req = http.request(new URL(path, base), { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

const users = [];
for (let u = 0; u < Number(usersText); ++u) {
  const r = await call('POST', '/v1/auth/register', {
    body: { email: `durable${u}-${Date.now()}@bench.example`, password: 'correct horse battery', displayName: 'B' },
  });
  const token = JSON.parse(r.text).accessToken;
  const interviews = [];
  for (let i = 0; i < Number(perUserText); ++i) {
    const id = JSON.parse((await call('POST', '/v1/interviews', { token, body: { title: `I${i}` } })).text).id;
    const up = await call('PUT', `/v1/interviews/${id}/recording`, { token, body: wav, type: 'audio/wav' });
    if (up.status !== 201) throw new Error(`upload ${up.status} ${up.text}`);
    interviews.push({ id, next: 'cancel' });
  }
  users.push({ token, interviews });
}

const latencies = [];
let received = 0;
const sockets = await Promise.all(users.map((u) => new Promise((resolve, reject) => {
  const ws = new WebSocket(base.replace('http', 'ws') + '/v1/ws', { headers: { Authorization: `Bearer ${u.token}` } });
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', interviewId: null })));
  ws.on('error', reject);
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    if (m.type === 'subscribed') return resolve(ws);
    if (m.type !== 'event' || m.event.seq === null) return;
    received += 1;
    latencies.push(Date.now() - Date.parse(m.event.at));
  });
})));

// Each worker owns interviews (so cancel and retry alternate correctly).
const all = users.flatMap((u) => u.interviews.map((i) => ({ ...i, token: u.token })));
const concurrency = Math.min(Number(concurrencyText), all.length);
const deadline = Date.now() + Number(secondsText) * 1000;
let committed = 0, failed = 0;
const started = Date.now();
const serverCpuBefore = serverCpu();
const clientCpuBefore = process.cpuUsage();
await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
  const mine = all.filter((_, k) => k % concurrency === w);
  for (let k = 0; Date.now() < deadline; ++k) {
    const i = mine[k % mine.length];
    const r = await call('POST', `/v1/interviews/${i.id}/${i.next}`, { token: i.token });
    if (r.status === 200 || r.status === 202) {
      committed += 1;
      i.next = i.next === 'cancel' ? 'retry' : 'cancel';
    } else {
      failed += 1;
    }
  }
}));
const elapsed = (Date.now() - started) / 1000;
const serverCpuSeconds = +(serverCpu() - serverCpuBefore).toFixed(2);
const clientCpu = process.cpuUsage(clientCpuBefore);
const wait = Date.now() + 5000;
while (received < committed && Date.now() < wait) await new Promise((r) => setTimeout(r, 20));
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(JSON.stringify({
  users: users.length, interviews: all.length, concurrency, seconds: +elapsed.toFixed(1),
  committedPerSecond: Math.round(committed / elapsed), committed, failed, received,
  p50ms: q(0.5), p99ms: q(0.99), maxMs: q(1), serverCpuSeconds,
  clientCpuSeconds: +((clientCpu.user + clientCpu.system) / 1e6).toFixed(2),
  serverCpuMicrosPerEvent: Math.round((serverCpuSeconds * 1e6) / Math.max(committed, 1)),
}));
for (const s of sockets) s.terminate();
agent.destroy();
process.exit(0);
