// Abuse limits, from outside, as issue 13 asks: random method tokens cannot
// grow the metrics, an address probing unknown paths is rate limited before
// routing (while /healthz answers), a body is never read for a request that
// is refused on its header, connections per address are capped, a trickling
// upload is cut off, X-Forwarded-For counts only from trusted proxies, and
// a deferred-length or late-declared upload cannot pass --max-upload-size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, request, registerUser, checkProblem, isAlive, RawConnection, until } from './support.mjs';

const TUS = { 'Tus-Resumable': '1.0.0' };
const b64 = (s) => Buffer.from(s).toString('base64');

function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

// Sends `count` requests made by make(i) pipelined over `connections`
// keep-alive connections, in batches; returns every response.
async function pipelined(port, count, make, { connections = 4, batch = 100 } = {}) {
  const out = [];
  let next = 0;
  async function worker() {
    const c = await RawConnection.open(port);
    try {
      while (next < count) {
        const n = Math.min(batch, count - next);
        const first = next;
        next += n;
        let data = '';
        for (let i = first; i < first + n; i++) data += make(i);
        await c.write(data);
        for (let i = 0; i < n; i++) out.push(await c.response(30000));
      }
    } finally {
      c.destroy();
    }
  }
  await Promise.all(Array.from({ length: connections }, worker));
  return out;
}

const pick = (chars, n) => Array.from({ length: n }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
// Any token is a valid method (RFC 9110 tchar).
const randomToken = (n) => pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~", n);
const randomPath = (n) => pick('abcdefghijklmnopqrstuvwxyz0123456789-._~', n);

test('20,000 random method tokens on random paths: at most 12 method labels, RSS +8 MB at most', async () => {
  const server = await startServer({ args: ['--rate-limit-ip', 'off', '--access-log', 'false'] });
  try {
    // Warm up the allocator and the paths the test then repeats.
    await pipelined(server.port, 2000, (i) => `${randomToken(6)} /warm/${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const before = rssKiB(server.child.pid);
    const responses = await pipelined(server.port, 20000,
      (i) => `${randomToken(1 + (i % 20))} /${randomPath(8)}/${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(responses.length, 20000);
    for (const r of responses) assert.ok([404, 405, 400].includes(r.status), `status ${r.status}`);
    const after = rssKiB(server.child.pid);
    const metrics = await request(server.url, 'GET', '/metrics');
    const methods = new Set([...metrics.text.matchAll(/method="([^"]*)"/g)].map((m) => m[1]));
    assert.ok(methods.size <= 12, `method labels: ${[...methods].join(' ')}`);
    assert.ok(methods.has('OTHER'), 'unknown methods are counted as OTHER');
    const routes = new Set([...metrics.text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    assert.ok(routes.has('unmatched') && routes.size < 40, `route labels: ${[...routes].join(' ')}`);
    assert.ok(after - before <= 8 * 1024, `RSS grew by ${after - before} KiB`);
    assert.ok(isAlive(server));
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('2,000 rapid requests to an unknown path from one address get 429s; /healthz keeps answering', async () => {
  const server = await startServer({ args: ['--access-log', 'false'] });
  try {
    const responses = await pipelined(server.port, 2000, () => 'GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n');
    const limited = responses.filter((r) => r.status === 429);
    const notFound = responses.filter((r) => r.status === 404);
    assert.equal(limited.length + notFound.length, 2000);
    assert.ok(limited.length >= 1500, `${limited.length} of 2000 were limited`);
    assert.equal(limited[0].headers['content-type'], 'application/problem+json');
    assert.match(limited[0].headers['retry-after'], /^\d+$/);
    // Still over the limit: the probes are exempt.
    const health = await pipelined(server.port, 50, () => 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { connections: 1 });
    assert.deepEqual([...new Set(health.map((r) => r.status))], [200]);
    assert.equal(health[0].headers['x-content-type-options'], 'nosniff');
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a request refused on its header is answered without waiting for its body', async () => {
  const server = await startServer();
  try {
    for (const head of [
      'POST /no/such/path HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n',
      'DELETE /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n',
      'POST /%zz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
    ]) {
      const c = await RawConnection.open(server.port);
      try {
        await c.write(head + '{"a');  // the rest never comes
        const res = await c.response(3000);  // the body timeout is 30 s
        assert.ok([404, 405, 400].includes(res.status), `${head.split('\r\n')[0]} -> ${res.status}`);
        assert.equal(res.headers['content-type'], 'application/problem+json');
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        await c.closed(5000);  // unread body bytes: the connection ends
      } finally {
        c.destroy();
      }
    }
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('connections per address are capped; a refused one gets a 429 problem', async () => {
  const server = await startServer({ args: ['--max-connections-per-address', '3'] });
  const held = [];
  try {
    for (let i = 0; i < 3; i++) {
      const c = await RawConnection.open(server.port);
      await c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await c.response()).status, 200);
      held.push(c);
    }
    const extra = await RawConnection.open(server.port);
    await extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n').catch(() => {});
    const refused = await extra.response();
    checkProblem(assert, refused, 429, 'the 4th connection');
    assert.equal(refused.headers['x-content-type-options'], 'nosniff');
    extra.destroy();
    // One closes: a new connection is served again.
    held.pop().destroy();
    let served = false;
    for (let i = 0; i < 100 && !served; i++) {
      const c = await RawConnection.open(server.port);
      await c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n').catch(() => {});
      served = (await c.response().catch(() => ({ status: 0 }))).status === 200;
      c.destroy();
    }
    assert.ok(served, 'a connection is served once another closed');
  } finally {
    for (const c of held) c.destroy();
    await server.stop();
    server.cleanup();
  }
});

test('a trickling upload body is cut off by the minimum rate', async () => {
  const server = await startServer({ args: ['--body-timeout', '1s', '--upload-min-rate', '100000'] });
  try {
    const user = await registerUser(server.url, 'trickle');
    const interview = await request(server.url, 'POST', '/v1/interviews', { token: user.token, body: { title: 't' } });
    const created = await request(server.url, 'POST', '/v1/uploads', {
      token: user.token,
      headers: { ...TUS, 'Upload-Length': '1000000', 'Upload-Metadata': `interviewId ${b64(interview.json.id)},consent ${b64('self-only')}` },
    });
    assert.equal(created.status, 201, created.text);
    const path = new URL(created.headers.location, server.url).pathname;
    const c = await RawConnection.open(server.port);
    const start = Date.now();
    try {
      await c.write(`PATCH ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${user.token}\r\nTus-Resumable: 1.0.0\r\n` +
        'Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: 1000000\r\n\r\n');
      // 10 KB each 200 ms: 50 KB/s, every read well inside the 1 s read
      // timeout, but half the minimum rate.
      const chunk = Buffer.alloc(10000, 0);
      chunk.write('RIFF', 0);
      chunk.write('WAVEfmt ', 8);
      while (!c.isClosed && Date.now() - start < 10000) {
        await c.write(chunk).catch(() => {});
        await new Promise((r) => setTimeout(r, 200));
      }
      // A timed-out read closes the connection (no answer can follow it).
      await c.closed(1000);
      const elapsed = Date.now() - start;
      assert.ok(elapsed > 1000 && elapsed < 8000, `cut off after ${elapsed} ms`);
    } finally {
      c.destroy();
    }
    // What arrived before the cut is kept (committed just after the close):
    // the client resumes from there.
    let offset = 0;
    await until('the received bytes to be committed', async () => {
      const head = await request(server.url, 'HEAD', path, { token: user.token, headers: TUS });
      offset = Number(head.headers['upload-offset']);
      return offset > 0;
    }, { timeoutMs: 10000, intervalMs: 50 });
    assert.ok(offset >= 10000 && offset < 1000000, `offset ${offset}`);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('X-Forwarded-For counts only from --trusted-proxies', async () => {
  const limited = ['--rate-limit-ip', '0.2/3', '--rate-limit-user', 'off'];
  const xff = (a) => ({ headers: { 'X-Forwarded-For': a } });
  const untrusted = await startServer({ args: limited });
  try {
    const statuses = [];
    for (const a of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'])
      statuses.push((await request(untrusted.url, 'GET', '/v1/interviews', xff(a))).status);
    assert.deepEqual(statuses, [401, 401, 401, 429], 'a forged header does not give new buckets');
    const log = untrusted.lines.filter((l) => l.includes('"request"')).map((l) => JSON.parse(l));
    assert.ok(log.every((e) => e.clientIp === '127.0.0.1'), 'the log names the peer');
  } finally {
    await untrusted.stop();
    untrusted.cleanup();
  }
  const trusted = await startServer({ args: [...limited, '--trusted-proxies', '127.0.0.1'] });
  try {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(trusted.url, 'GET', '/v1/interviews', xff('198.51.100.7'))).status);
    assert.deepEqual(statuses, [401, 401, 401, 429], 'the forwarded client has its own bucket');
    // Another forwarded client is not limited by the first one's use.
    assert.equal((await request(trusted.url, 'GET', '/v1/interviews', xff('198.51.100.8'))).status, 401);
    // What the client itself wrote left of the proxy's entry is not believed.
    assert.equal((await request(trusted.url, 'GET', '/v1/interviews', xff('1.1.1.1, 198.51.100.7'))).status, 429);
    // IPv6 clients share a bucket per /64.
    for (let i = 0; i < 3; i++)
      assert.equal((await request(trusted.url, 'GET', '/v1/interviews', xff(`2001:db8:0:1::${i + 1}`))).status, 401);
    assert.equal((await request(trusted.url, 'GET', '/v1/interviews', xff('2001:db8:0:1::ffff'))).status, 429);
    const log = trusted.lines.filter((l) => l.includes('"request"')).map((l) => JSON.parse(l));
    assert.ok(log.some((e) => e.clientIp === '198.51.100.7'), 'the log names the forwarded client');
  } finally {
    await trusted.stop();
    trusted.cleanup();
  }
});

test('a deferred-length upload cannot pass --max-upload-size, nor a late Upload-Length', async () => {
  const server = await startServer({ args: ['--max-upload-size', '65536', '--workers', 'none'] });
  try {
    const user = await registerUser(server.url, 'deferred');
    const interview = await request(server.url, 'POST', '/v1/interviews', { token: user.token, body: { title: 't' } });
    const meta = `interviewId ${b64(interview.json.id)},consent ${b64('self-only')}`;
    const create = () => request(server.url, 'POST', '/v1/uploads', {
      token: user.token, headers: { ...TUS, 'Upload-Defer-Length': '1', 'Upload-Metadata': meta },
    });
    const patch = (path, offset, body, headers = {}) => request(server.url, 'PATCH', path, {
      token: user.token, rawBody: body, contentType: 'application/offset+octet-stream',
      headers: { ...TUS, 'Upload-Offset': String(offset), ...headers },
    });
    const wav = Buffer.alloc(40000, 0);
    wav.write('RIFF', 0);
    wav.write('WAVEfmt ', 8);

    // In two PATCHes of 40 KB: the second one goes past 64 KiB.
    let created = await create();
    assert.equal(created.status, 201, created.text);
    let path = new URL(created.headers.location, server.url).pathname;
    assert.equal((await patch(path, 0, wav)).status, 204);
    const over = await patch(path, 40000, wav);
    checkProblem(assert, over, 413, 'the second deferred chunk');
    assert.equal(over.headers['x-content-type-options'], 'nosniff');
    const head = await request(server.url, 'HEAD', path, { token: user.token, headers: TUS });
    assert.equal(head.headers['upload-offset'], '40000', 'nothing of the refused chunk is kept');

    // A PATCH that declares a length over the maximum.
    const late = await patch(path, 40000, Buffer.alloc(10), { 'Upload-Length': '1000000' });
    checkProblem(assert, late, 413, 'a late Upload-Length over the maximum');
    await request(server.url, 'DELETE', path, { token: user.token, headers: TUS });

    // One streamed PATCH (chunked, no Content-Length) past the maximum.
    created = await create();
    path = new URL(created.headers.location, server.url).pathname;
    const c = await RawConnection.open(server.port);
    try {
      await c.write(`PATCH ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${user.token}\r\nTus-Resumable: 1.0.0\r\n` +
        'Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nTransfer-Encoding: chunked\r\n\r\n');
      const piece = Buffer.concat([Buffer.from('4000\r\n'), Buffer.alloc(0x4000, 1), Buffer.from('\r\n')]);
      piece.write('RIFF', 6);
      piece.write('WAVEfmt ', 14);
      for (let i = 0; i < 8; i++) await c.write(piece).catch(() => {});
      const res = await c.response();
      checkProblem(assert, res, 413, 'a chunked deferred PATCH past the maximum');
    } finally {
      c.destroy();
    }
    assert.ok(isAlive(server));
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('per-user limits on unfinished uploads: their number and the bytes they claim', async () => {
  const server = await startServer({
    args: ['--max-upload-size', '100000', '--max-open-uploads', '2', '--max-pending-upload-bytes', '150000', '--workers', 'none'],
  });
  try {
    const user = await registerUser(server.url, 'open-uploads');
    const other = await registerUser(server.url, 'open-uploads-other');
    const interview = await request(server.url, 'POST', '/v1/interviews', { token: user.token, body: { title: 't' } });
    const create = (length, token = user.token) => request(server.url, 'POST', '/v1/uploads', {
      token, headers: { ...TUS, 'Upload-Length': String(length), 'Upload-Concat': 'partial' },
    });
    assert.equal((await create(100000)).status, 201);
    checkProblem(assert, await create(60000), 413, 'past the pending bytes');
    const second = await create(50000);
    assert.equal(second.status, 201, second.text);
    const third = await create(10);
    checkProblem(assert, third, 429, 'a third unfinished upload');
    assert.match(third.json.detail, /unfinished uploads/);
    // Another user has their own allowance.
    assert.equal((await create(100000, other.token)).status, 201);
    // Deleting one makes room.
    await request(server.url, 'DELETE', new URL(second.headers.location, server.url).pathname, { token: user.token, headers: TUS });
    assert.equal((await create(10)).status, 201);
    void interview;
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('one user may stream only --max-concurrent-uploads bodies at once', async () => {
  // The probes below may be many: the request rate limits stay out of it.
  const server = await startServer({
    args: ['--max-concurrent-uploads', '1', '--workers', 'none', '--rate-limit-ip', 'off', '--rate-limit-user', 'off'],
  });
  try {
    const user = await registerUser(server.url, 'concurrent');
    const other = await registerUser(server.url, 'concurrent-other');
    const upload = async (u) => {
      const c = await request(server.url, 'POST', '/v1/uploads', { token: u.token, headers: { ...TUS, 'Upload-Length': '100000', 'Upload-Concat': 'partial' } });
      return new URL(c.headers.location, server.url).pathname;
    };
    const first = await upload(user);
    const second = await upload(user);
    const theirs = await upload(other);
    // The first PATCH holds its slot while its body is still arriving.
    const c = await RawConnection.open(server.port);
    try {
      await c.write(`PATCH ${first} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${user.token}\r\nTus-Resumable: 1.0.0\r\n` +
        'Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: 100000\r\n\r\n');
      await c.write(Buffer.alloc(1000, 1));
      const patch = (path, token, offset = 0) => request(server.url, 'PATCH', path, {
        token, rawBody: Buffer.alloc(10, 1), contentType: 'application/offset+octet-stream', headers: { ...TUS, 'Upload-Offset': String(offset) },
      });
      // The slot is taken when the first PATCH's handler starts: wait until
      // it is in flight (the scrape itself is the other one), so that no
      // probe below can take the slot first and get the first PATCH refused.
      await until('the first PATCH to be in flight', async () => {
        const m = await request(server.url, 'GET', '/metrics');
        return Number(/^http_requests_in_flight (\d+)$/m.exec(m.text)[1]) >= 2;
      }, { timeoutMs: 10000, intervalMs: 10 });
      // A probe with a wrong offset changes nothing: 409 while the slot is
      // free, 429 once it is taken.
      let refused;
      await until('a probe to be refused', async () => {
        const r = await patch(second, user.token, 999);
        if (r.status === 429) refused = r;
        else assert.equal(r.status, 409, r.text);
        return refused !== undefined;
      }, { timeoutMs: 10000, intervalMs: 10 });
      checkProblem(assert, refused, 429, 'a second concurrent upload');
      assert.match(refused.json.detail, /uploads in progress/);
      assert.equal((await patch(theirs, other.token)).status, 204);
      // The first finishes: the slot is free again.
      await c.write(Buffer.alloc(99000, 1));
      assert.equal((await c.response()).status, 204);
      assert.equal((await patch(second, user.token)).status, 204);
    } finally {
      c.destroy();
    }
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a guesser cannot lock a person out of their account from an address of their own', async () => {
  const server = await startServer({
    args: ['--trusted-proxies', '127.0.0.1', '--login-limit-email-address', '0.01/3', '--login-limit-email', '0.01/5',
      '--rate-limit-auth', 'off', '--rate-limit-ip', 'off'],
  });
  try {
    const victim = await registerUser(server.url, 'lockout');
    const login = (password, from) => request(server.url, 'POST', '/v1/auth/login', {
      body: { email: victim.email, password }, headers: { 'X-Forwarded-For': from },
    });
    for (let i = 0; i < 3; i++) assert.equal((await login('guess', '203.0.113.66')).status, 401);
    checkProblem(assert, await login('correct horse battery', '203.0.113.66'), 429, "the guesser's 4th try");
    const own = await login('correct horse battery', '198.51.100.1');
    assert.equal(own.status, 200, `the owner from their own address: ${own.text}`);
    // Many addresses meet the per-account ceiling (5 counted attempts in all).
    assert.equal((await login('guess', '192.0.2.1')).status, 401);
    checkProblem(assert, await login('guess', '192.0.2.2'), 429, 'past the ceiling');
  } finally {
    await server.stop();
    server.cleanup();
  }
});
