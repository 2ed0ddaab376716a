// The process as an operator sees it: start, serve, drain on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, request, registerUser } from './support.mjs';

async function until(what, predicate, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

for (const database of ['sqlite', 'postgresql']) {
  test(`${database}: SIGTERM turns readyz 503, lets an in-flight request finish, exits 0`, async () => {
    const server = await startServer({ database, args: ['--drain-delay', '2s', '--drain-timeout', '5s'] });
    try {
      const { token } = await registerUser(server.url);
      assert.equal((await request(server.url, 'GET', '/readyz')).status, 200);

      // A request whose body is still arriving when SIGTERM comes.
      const body = JSON.stringify({ title: 'in flight while draining' });
      const socket = net.connect(server.port, server.host);
      await new Promise((r) => socket.once('connect', r));
      let answer = '';
      socket.setEncoding('utf8').on('data', (d) => { answer += d; });
      const closed = new Promise((r) => socket.once('close', r));
      socket.write(`POST /v1/interviews HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
      // An idle keep-alive connection must not hold the drain up.
      const idle = net.connect(server.port, server.host);
      await new Promise((r) => idle.once('connect', r));
      const idleClosed = new Promise((r) => idle.once('close', r));

      server.child.kill('SIGTERM');
      await until('readyz 503', async () => (await request(server.url, 'GET', '/readyz')).status === 503);
      socket.write(body.slice(5));
      await closed;
      assert.match(answer, /^HTTP\/1\.1 201 /, answer);
      await idleClosed;
      const { code } = await server.exited;
      assert.equal(code, 0);
      assert.ok(server.lines.some((l) => l.includes('"msg":"stopped"')), 'no "stopped" log line');
    } finally {
      await server.stop('SIGKILL');
      server.cleanup();
    }
  });
}

test('bad configuration fails at start with a message naming the key', async () => {
  for (const [args, env, key] of [
    [['--listen', 'nonsense'], {}, '--listen'],
    [['--threads', '0'], {}, '--threads'],
    [[], { IC_LISTEN_ADRESS: '1' }, 'IC_LISTEN_ADRESS'],
    [['--no-such-flag'], {}, '--no-such-flag'],
    [['--database-url', 'mysql://x'], {}, '--database-url'],
    [['--rate-limit-ip', 'fast'], {}, '--rate-limit-ip'],
    [[], { IC_JWT_SECRET: 'short' }, 'IC_JWT_SECRET'],
  ]) {
    await assert.rejects(startServer({ args, env }), (e) => {
      assert.match(e.message, new RegExp(key.replace(/[-]/g, '\\-')));
      return true;
    });
  }
});
