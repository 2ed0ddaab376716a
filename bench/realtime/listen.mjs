// Listens for stored events: one WebSocket per user (tokens.json from
// run.sh), subscribed to all of the user's interviews. Prints READY once
// every socket is subscribed, then counts events until EXPECTED arrived
// or nothing came for 5 s, and prints one JSON line with latency from the
// event's `at` (taken in the committing transaction, ms) to receipt.
//   node listen.mjs WS_URL TOKENS_FILE EXPECTED
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(new URL('../../tests/tools/package.json', import.meta.url));
const WebSocket = require('ws');
const [url, tokensFile, expectedText] = process.argv.slice(2);
const users = JSON.parse(readFileSync(tokensFile, 'utf8'));
const expected = Number(expectedText);
const latencies = [];
let last = Date.now();
let gaps = 0;

const sockets = await Promise.all(users.map((u) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${u.token}` } });
  let seq = null;
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', interviewId: null })));
  ws.on('error', reject);
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    if (m.type === 'subscribed') { seq = m.seq; return resolve(ws); }
    if (m.type !== 'event' || m.event.seq === null) return;
    if (m.event.seq !== seq + 1) gaps += 1;  // never expected: counted, not hidden
    seq = m.event.seq;
    last = Date.now();
    latencies.push(last - Date.parse(m.event.at));
  });
})));
console.log('READY');

while (latencies.length < expected && Date.now() - last < 5000) {
  await new Promise((r) => setTimeout(r, 20));
}
latencies.sort((a, b) => a - b);
const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null);
console.log(JSON.stringify({
  received: latencies.length, expected, gaps, p50ms: q(0.5), p99ms: q(0.99), maxMs: q(1),
}));
for (const s of sockets) s.terminate();
process.exit(0);
