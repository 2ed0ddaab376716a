// 20,000 requests with random method tokens on random paths against one
// serve (SQLite, rate limits off, pipelined over one connection after a
// 2,000-request warm-up): RSS growth, method labels and /metrics size and
// scrape time. Bounded: 22,000 requests and 20 scrapes, loopback only.
//   COMPANION_BINARY=build/interview-companion node bench/method-flood.mjs
import { startServer, RawConnection, request } from '../tests/e2e/support.mjs';
import { readFileSync } from 'node:fs';
const pick = (chars, n) => Array.from({ length: n }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
const tok = (n) => pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~", n);
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const server = await startServer({ args: ['--rate-limit-ip', 'off', '--access-log', 'false'] });
async function run(count) {
  const c = await RawConnection.open(server.port);
  for (let done = 0; done < count; done += 100) {
    let data = ''; for (let i = 0; i < 100; i++) data += `${tok(1 + (i % 20))} /${pick('abcdefgh', 8)}/${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    await c.write(data); for (let i = 0; i < 100; i++) await c.response(30000);
  }
  c.destroy();
}
await run(2000);
const before = rss(server.child.pid);
const t0 = Date.now();
await run(20000);
const ms = Date.now() - t0;
const after = rss(server.child.pid);
const m = await request(server.url, 'GET', '/metrics');
const methods = new Set([...m.text.matchAll(/method="([^"]*)"/g)].map((x) => x[1]));
console.log(`RSS ${before} -> ${after} KiB (+${after - before}), method labels ${methods.size}, /metrics ${m.text.length} bytes, 20k requests in ${ms} ms`);
const t1 = Date.now(); for (let i = 0; i < 20; i++) await request(server.url, 'GET', '/metrics'); console.log(`/metrics ${(Date.now() - t1) / 20} ms each`);
await server.stop(); server.cleanup();
