// Slow clients (slowloris): hundreds of connections that trickle a request
// header one byte a second must neither starve normal requests nor stay
// open past --header-timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startServer, request, registerUser, isAlive, mapLimit, within, RawConnection } from './support.mjs';

const SLOW_CONNECTIONS = 500; // well under the default fd limit of 1024 (x2: both ends live here and in the server)
const HEADER_TIMEOUT_S = 2;
const PROMPT_MS = 5000;        // a normal request must complete within this
const CLOSED_WITHIN_MS = 15000; // every slow connection is closed by then

const TRICKLE = 'GET /v1/interviews HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n' +
  'X-Padding: ' + 'a'.repeat(200) + '\r\n\r\n';

// Each side (this process, the server it spawns) holds SLOW_CONNECTIONS
// sockets; say so plainly if the soft fd limit cannot take that.
function checkFdLimit() {
  let limits = '';
  try { limits = readFileSync('/proc/self/limits', 'utf8'); } catch { return; }
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  if (soft && soft !== 'unlimited' && Number(soft) < SLOW_CONNECTIONS + 200) {
    throw new Error(`the open-files limit (${soft}) is too low for ${SLOW_CONNECTIONS} connections; raise ulimit -n`);
  }
}

function openSlow(port, host) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host });
    const state = { socket: s, sent: 0, closedAt: null, closedBy: null, received: 0 };
    const timer = setTimeout(() => { s.destroy(); reject(new Error('connect timeout')); }, 5000);
    s.on('data', (d) => { state.received += d.length; });
    s.on('error', (e) => { state.closedBy ??= e.code; });
    s.on('end', () => { state.closedBy ??= 'FIN'; });
    s.on('close', () => { state.closedAt ??= Date.now(); });
    s.once('connect', () => {
      clearTimeout(timer);
      s.write(TRICKLE[0]); // the first header byte, at once
      state.sent = 1;
      resolve(state);
    });
  });
}

for (const database of ['sqlite', 'postgresql']) {
  test(`${database}: ${SLOW_CONNECTIONS} trickling connections do not starve normal requests and are closed after the header timeout`,
    { timeout: 60000 }, async (t) => {
      checkFdLimit();
      // As if from many addresses: the per-address cap (tested in
      // abuse-limits.test.mjs) would otherwise refuse most of them at once.
      const server = await startServer({
        database, args: ['--header-timeout', `${HEADER_TIMEOUT_S}s`, '--access-log', 'false', '--max-connections-per-address', '0'],
      });
      const slow = [];
      let ticker;
      try {
        const { token } = await registerUser(server.url, 'slowloris');
        const created = await request(server.url, 'POST', '/v1/interviews', { token, body: { title: 'still served' } });
        assert.equal(created.status, 201, created.text);

        const startedAt = Date.now();
        // Open the slow connections, 50 at a time so the listen backlog is not the test.
        const opened = await mapLimit(Array.from({ length: SLOW_CONNECTIONS }), 50, () => openSlow(server.port, server.host));
        slow.push(...opened);
        const openedMs = Date.now() - startedAt;
        // One more header byte a second on every connection still open.
        ticker = setInterval(() => {
          for (const c of slow) {
            if (c.closedAt === null && c.sent < TRICKLE.length) c.socket.write(TRICKLE[c.sent++]);
          }
        }, 1000);

        // While they trickle: normal requests, each answered promptly.
        const openDuringChecks = slow.filter((c) => c.closedAt === null).length;
        const latencies = [];
        for (let round = 0; round < 3; round++) {
          for (const [what, send] of [
            ['GET /healthz', () => request(server.url, 'GET', '/healthz')],
            ['GET /v1/interviews', () => request(server.url, 'GET', '/v1/interviews', { token })],
          ]) {
            const t0 = Date.now();
            const r = await within(PROMPT_MS, send(), `${what} during the slowloris`);
            latencies.push(Date.now() - t0);
            assert.equal(r.status, 200, `${what}: ${r.status} ${r.text}`);
            if (what === 'GET /v1/interviews') assert.equal(r.json.items[0].title, 'still served');
          }
        }
        assert.ok(openDuringChecks > SLOW_CONNECTIONS * 0.9,
          `only ${openDuringChecks} slow connections were open during the checks (opening took ${openedMs} ms)`);

        // Every slow connection is closed by the server after the header timeout.
        await within(CLOSED_WITHIN_MS, Promise.all(slow.map((c) => new Promise((resolve) => {
          if (c.closedAt !== null) resolve();
          else c.socket.once('close', resolve);
        }))), `closing all ${SLOW_CONNECTIONS} slow connections`).catch((e) => {
          const open = slow.filter((c) => c.closedAt === null);
          throw new Error(`${e.message}: ${open.length} still open (bytes sent by the oldest: ${open[0]?.sent})`);
        });
        const lifetimes = slow.map((c) => c.closedAt - startedAt);
        const early = slow.filter((c) => c.closedAt - startedAt < HEADER_TIMEOUT_S * 1000 - 500);
        assert.equal(early.length, 0, `${early.length} connections were closed before the header timeout`);
        // None of them finished its header, so none got a 200 response.
        assert.ok(slow.every((c) => c.sent < TRICKLE.length));
        t.diagnostic(`${database}: opened ${SLOW_CONNECTIONS} in ${openedMs} ms; normal requests took ` +
          `max ${Math.max(...latencies)} ms; slow connections closed after ${Math.min(...lifetimes)}..${Math.max(...lifetimes)} ms; ` +
          `closed by: ${[...new Set(slow.map((c) => c.closedBy))].join(',')}`);

        // And the server is still fine afterwards.
        assert.ok(isAlive(server), 'server died');
        assert.equal((await request(server.url, 'GET', '/healthz')).status, 200);
      } finally {
        clearInterval(ticker);
        for (const c of slow) c.socket.destroy();
        await server.stop();
        server.cleanup();
      }
    });
}

// The same attack without even the first byte: a fresh connection that has
// not sent a request yet is waiting for a request header, so
// --header-timeout bounds it (--idle-timeout is the keep-alive wait between
// requests). Otherwise silent connections hold a slot for the idle timeout.
test('sqlite: connections that send nothing at all are closed after the header timeout, not the idle timeout',
  { timeout: 60000 }, async (t) => {
    const server = await startServer({ args: ['--header-timeout', `${HEADER_TIMEOUT_S}s`, '--idle-timeout', '30s'] });
    const silent = [];
    try {
      const startedAt = Date.now();
      silent.push(...await mapLimit(Array.from({ length: 50 }), 25, () => RawConnection.open(server.port, server.host)));
      const results = await Promise.allSettled(silent.map((c) => c.closed(CLOSED_WITHIN_MS)));
      const open = results.filter((r) => r.status === 'rejected').length;
      t.diagnostic(`${silent.length - open} of ${silent.length} silent connections closed within ${Date.now() - startedAt} ms`);
      assert.equal(open, 0, `${open} of ${silent.length} silent connections were still open ` +
        `${CLOSED_WITHIN_MS} ms after connecting (--header-timeout ${HEADER_TIMEOUT_S}s, --idle-timeout 30s)`);
      assert.ok(isAlive(server));
    } finally {
      for (const c of silent) c.destroy();
      await server.stop();
      server.cleanup();
    }
  });
