// Oversized and malformed input: every bad request gets the right problem
// answer, and the server keeps serving (it never crashes) afterwards.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, request, registerUser, checkProblem, isAlive, rawRequest, RawConnection,
  decodeJwt, signJwt, b64url,
} from './support.mjs';

const SECRET = 'e2e-hostile-input-secret-0123456789abcdef';
const MiB = 1024 * 1024;

// A healthy request after each bad one: the server is still up and serving.
async function stillServing(server, after) {
  assert.ok(isAlive(server), `server died after: ${after}`);
  const h = await request(server.url, 'GET', '/healthz');
  assert.equal(h.status, 200, `healthz after ${after}: ${h.status} ${h.text}`);
}

function raw(lines, body = '') {
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

for (const database of ['sqlite', 'postgresql']) {
  describe(`${database}: oversized and malformed requests get problem answers; the server keeps serving`, { timeout: 120000 }, () => {
    let server;
    let token;
    let host;
    let auth;
    before(async () => {
      server = await startServer({ database, args: ['--drain-timeout', '3s'], env: { IC_JWT_SECRET: SECRET } });
      ({ token } = await registerUser(server.url, 'hostile'));
      host = `Host: ${server.host}:${server.port}`;
      auth = `Authorization: Bearer ${token}`;
    });
    after(async () => {
      if (!server) return;
      await server.stop('SIGKILL');
      server.cleanup();
    });

    // 17 KiB of header in each shape: one long field, many short fields
    // (the limit is on the whole block, not on one field), a long target.
    for (const [what, target, headers] of [
      ['one 20 KiB header field', '/healthz', [`X-Big: ${'a'.repeat(20 * 1024)}`]],
      ['17 KiB in 450 short header fields', '/healthz', Array.from({ length: 450 }, (_, i) => `X-H${String(i).padStart(3, '0')}: ${'b'.repeat(30)}`)],
      ['24 KiB in 600 short header fields', '/healthz', Array.from({ length: 600 }, (_, i) => `X-H${String(i).padStart(3, '0')}: ${'b'.repeat(30)}`)],
      ['a 17 KiB request target', `/healthz?${'q'.repeat(17 * 1024)}`, []],
    ]) {
      test(`header block over 16 KiB -> 431: ${what}`, async () => {
        const bytes = raw([`GET ${target} HTTP/1.1`, host, ...headers]);
        assert.ok(bytes.length > 16 * 1024);
        const res = await rawRequest(server.port, bytes);
        checkProblem(assert, res, 431, `${what} (${bytes.length} bytes of header)`);
        assert.ok(res.headers['x-request-id'], `${what}: no X-Request-Id`);
        await stillServing(server, what);
      });
    }
    // An extension method the router does not know is a normal request
    // (405), and the early refusals must work for it too.
    for (const [what, bytes, status] of [
      ['FOO /healthz', () => `FOO /healthz HTTP/1.1\r\n${host}\r\n\r\n`, 405],
      ['FOO with a 20 KiB header', () => `FOO /healthz HTTP/1.1\r\n${host}\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431],
      // Refused on the header: the body's size is never looked at.
      ['FOO with a 1 MB Content-Length', () => `FOO /v1/interviews HTTP/1.1\r\n${host}\r\nContent-Length: 1000000\r\n\r\n`, 405],
    ]) {
      test(`an unknown method: ${what} -> ${status}`, async () => {
        const res = await rawRequest(server.port, bytes());
        checkProblem(assert, res, status, what);
        await stillServing(server, what);
      });
    }

    test('a header block just under 16 KiB is accepted', async () => {
      const bytes = raw(['GET /healthz HTTP/1.1', host, `X-Big: ${'a'.repeat(15 * 1024)}`]);
      const res = await rawRequest(server.port, bytes);
      assert.equal(res.status, 200, res.text);
    });

    test('body over the 256 KiB JSON limit -> 413, with Content-Length and chunked', async () => {
      const big = Buffer.from(JSON.stringify({ title: 'x', jobDescription: 'y'.repeat(2 * MiB) }));
      {
        const res = await request(server.url, 'POST', '/v1/interviews', { token, rawBody: big });
        checkProblem(assert, res, 413, '2 MiB body with Content-Length');
        await stillServing(server, '2 MiB body with Content-Length');
      }
      {
        // The same body chunked: no length up front, so the server must count.
        const c = await RawConnection.open(server.port, server.host);
        try {
          await c.write(raw(['POST /v1/interviews HTTP/1.1', host, auth, 'Content-Type: application/json',
            'Transfer-Encoding: chunked']).slice(0, -2));
          const chunk = 64 * 1024;
          let writeError = null;
          for (let off = 0; off < big.length && !c.isClosed && c.received === 0; off += chunk) {
            const part = big.subarray(off, off + chunk);
            await c.write(Buffer.concat([Buffer.from(`\r\n${part.length.toString(16)}\r\n`), part]))
              .catch((e) => { writeError = e; });
            if (writeError) break;
          }
          if (!writeError && !c.isClosed) await c.write('\r\n0\r\n\r\n').catch(() => {});
          const res = await c.response(10000);
          checkProblem(assert, res, 413, '2 MiB chunked body');
          await c.closed(10000);
        } finally {
          c.destroy();
        }
        await stillServing(server, '2 MiB chunked body');
      }
      {
        const res = await rawRequest(server.port, raw(['POST /v1/interviews HTTP/1.1', host, auth,
          'Content-Type: application/json', 'Content-Length: 99999999999999999999999']));
        assert.ok([400, 413].includes(res.status), `absurd Content-Length -> ${res.status} ${res.text}`);
        checkProblem(assert, res, res.status, 'absurd Content-Length');
        await stillServing(server, 'absurd Content-Length');
      }
    });

    test('bodies that are not acceptable JSON -> 400', async () => {
      const deepArray = '['.repeat(1000) + ']'.repeat(1000);
      const deepObject = '{"a":'.repeat(1000) + '1' + '}'.repeat(1000);
      for (const [what, body] of [
        ['invalid UTF-8 in a string', Buffer.concat([Buffer.from('{"title":"bad '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')])],
        ['an overlong UTF-8 encoding', Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
        ['UTF-8 encoded surrogate', Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
        ['arrays nested 1000 deep', `{"title":"deep","company":${deepArray}}`],
        ['objects nested 1000 deep', `{"title":"deep","company":${deepObject}}`],
        ['a top-level array 1000 deep', deepArray],
        ['truncated JSON', '{"title":"cut'],
        ['trailing garbage', '{"title":"x"} trailing'],
        ['not JSON at all', 'title=x'],
        ['a JSON array body', '[{"title":"x"}]'],
        ['an empty body', ''],
      ]) {
        const res = await request(server.url, 'POST', '/v1/interviews', { token, rawBody: body });
        checkProblem(assert, res, 400, what);
        await stillServing(server, what);
      }
      for (const [what, body, field] of [
        ['an unknown field', { title: 'x', bogus: 1 }, 'bogus'],
        ['a missing title', { company: 'x' }, 'title'],
        ['a title of the wrong type', { title: 42 }, 'title'],
        ['a title over 200 characters', { title: 't'.repeat(201) }, 'title'],
        ['a bad scheduledAt', { title: 'x', scheduledAt: 'tomorrow' }, 'scheduledAt'],
      ]) {
        const res = await request(server.url, 'POST', '/v1/interviews', { token, body });
        const p = checkProblem(assert, res, 400, what);
        assert.ok(Array.isArray(p.errors) && p.errors.some((e) => e.field === field), `${what}: ${res.text}`);
        await stillServing(server, what);
      }
    });

    test('valid JSON that is awkward to store (NUL, lone surrogate) -> 400 or stored exactly, never mangled', async () => {
      // Valid JSON that is awkward to store: NUL and lone-surrogate escapes.
      // Either refused (400) or stored and read back exactly - never a 500.
      for (const [what, text] of [
        ['a NUL character', '{"title":"nul \\u0000 inside"}'],
        ['a lone surrogate escape', '{"title":"lone \\ud800 surrogate"}'],
      ]) {
        const res = await request(server.url, 'POST', '/v1/interviews', { token, rawBody: text });
        assert.ok([201, 400].includes(res.status), `${what}: ${res.status} ${res.text}`);
        if (res.status === 201) {
          const back = await request(server.url, 'GET', `/v1/interviews/${res.json.id}`, { token });
          assert.equal(back.status, 200, back.text);
          assert.equal(back.json.title, JSON.parse(text).title, what);
        } else {
          checkProblem(assert, res, 400, what);
        }
        await stillServing(server, what);
      }
    });

    test('wrong Content-Type -> 415', async () => {
      for (const ct of ['text/plain', 'application/jsonx', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const res = await request(server.url, 'POST', '/v1/interviews', { token, rawBody: '{"title":"x"}', contentType: ct });
        checkProblem(assert, res, 415, `Content-Type ${ct}`);
      }
      {
        const res = await rawRequest(server.port, raw(['POST /v1/interviews HTTP/1.1', host, auth, 'Content-Length: 13'], '{"title":"x"}'));
        checkProblem(assert, res, 415, 'no Content-Type');
        await stillServing(server, 'wrong content types');
      }
      // The parameters of a JSON media type are fine.
      {
        const res = await request(server.url, 'POST', '/v1/interviews', { token, rawBody: '{"title":"ct ok"}', contentType: 'Application/JSON; charset=utf-8' });
        assert.equal(res.status, 201, res.text);
      }
    });

    test('unknown or bad query parameters -> 400 with errors[]', async () => {
      for (const [path, field] of [
        ['/v1/interviews?foo=1', 'foo'],
        ['/v1/interviews?limit=5&sort=title', 'sort'],
        ['/v1/interviews?limit=0', 'limit'],
        ['/v1/interviews?limit=101', 'limit'],
        ['/v1/interviews?limit=abc', 'limit'],
        ['/v1/interviews?cursor=not-a-cursor', 'cursor'],
      ]) {
        const res = await request(server.url, 'GET', path, { token });
        const p = checkProblem(assert, res, 400, path);
        assert.ok(Array.isArray(p.errors) && p.errors.some((e) => e.field === field), `${path}: ${res.text}`);
      }
      await stillServing(server, 'bad query parameters');
    });

    test('unknown route -> 404, wrong method -> 405 with Allow, non-UUID id -> 404', async () => {
      for (const path of ['/v1/nope', '/v2/interviews', '/', '/v1/interviews/00000000-0000-7000-8000-000000000000/nope', '/healthz/extra']) {
        checkProblem(assert, await request(server.url, 'GET', path, { token }), 404, `GET ${path}`);
      }
      for (const [method, path, allowed] of [
        ['DELETE', '/v1/interviews', ['GET', 'POST']],
        ['PUT', '/v1/interviews', ['GET', 'POST']],
        ['POST', '/healthz', ['GET']],
        ['GET', '/v1/auth/login', ['POST']],
        ['POST', '/v1/interviews/00000000-0000-7000-8000-000000000000', ['GET', 'PATCH', 'DELETE']],
      ]) {
        const res = await request(server.url, method, path, { token });
        checkProblem(assert, res, 405, `${method} ${path}`);
        // Allow lists the route's methods (HEAD and OPTIONS may come along), never the refused one.
        const allow = String(res.headers.allow ?? '').split(/,\s*/).filter(Boolean);
        const label = `${method} ${path}: Allow ${res.headers.allow}`;
        for (const m of allowed) assert.ok(allow.includes(m), label);
        assert.ok(!allow.includes(method), label);
        assert.ok(allow.every((m) => allowed.includes(m) || m === 'HEAD' || m === 'OPTIONS'), label);
      }
      for (const id of ['not-a-uuid', '123', "1'%20OR%20'1'='1", '00000000-0000-0000-0000-00000000000g', 'x'.repeat(300)]) {
        for (const method of ['GET', 'PATCH', 'DELETE']) {
          const res = await request(server.url, method, `/v1/interviews/${id}`, {
            token, ...(method === 'PATCH' ? { body: { title: 'y' } } : {}),
          });
          checkProblem(assert, res, 404, `${method} /v1/interviews/${id}`);
        }
      }
      await stillServing(server, 'unknown routes and ids');
    });

    // Malformed HTTP: a 400 problem, then the connection closes.
    for (const [what, bytes] of [
      ['a garbage request line', 'GARBAGE\r\n\r\n'],
      ['a request line with extra words', () => `GET /healthz HTTP/1.1 extra\r\n${host}\r\n\r\n`],
      ['a request line without a version', () => `GET /healthz\r\n${host}\r\n\r\n`],
      ['a request line with a bad version', () => `GET /healthz HTTP/x.y\r\n${host}\r\n\r\n`],
      ['binary noise', Buffer.from([0x00, 0x01, 0x02, 0xff, 0x0d, 0x0a, 0x0d, 0x0a])],
      ['a header line without a colon', () => `GET /healthz HTTP/1.1\r\n${host}\r\nNoColonHere\r\n\r\n`],
      ['a space before the header colon', () => `GET /healthz HTTP/1.1\r\n${host}\r\nX-Bad : 1\r\n\r\n`],
      ['a non-numeric Content-Length', () => `POST /v1/interviews HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`],
      ['a negative Content-Length', () => `POST /v1/interviews HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}`],
      ['two different Content-Lengths', () => `POST /v1/interviews HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Type: application/json\r\nContent-Length: 13\r\nContent-Length: 2\r\n\r\n{"title":"x"}`],
      ['bad chunk framing', () => `POST /v1/interviews HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
      ['a target that is not a path', () => `GET healthz HTTP/1.1\r\n${host}\r\n\r\n`],
    ]) {
      test(`malformed HTTP -> 400 problem: ${what}`, async () => {
        const res = await rawRequest(server.port, typeof bytes === 'function' ? bytes() : bytes);
        checkProblem(assert, res, 400, what);
        await stillServing(server, what);
      });
    }

    test('bad bearer tokens -> 401', async () => {
      const { header, payload } = decodeJwt(token);
      const now = Math.floor(Date.now() / 1000);
      // Control: a token crafted with the server's secret works, so the
      // refusals below are about what was changed.
      const good = signJwt({ ...payload, iat: now, exp: now + 600 }, SECRET, header);
      assert.equal((await request(server.url, 'GET', '/v1/interviews', { token: good })).status, 200);
      for (const [what, value] of [
        ['signed with another secret', `Bearer ${signJwt(payload, 'some-other-secret-0123456789abcdef-xyz')}`],
        ['alg none, no signature', `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`],
        ['alg none, original signature', `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.${token.split('.')[2]}`],
        ['alg HS512 header', `Bearer ${signJwt(payload, SECRET, { alg: 'HS512', typ: 'JWT' })}`],
        ['expired an hour ago', `Bearer ${signJwt({ ...payload, iat: now - 7200, exp: now - 3600 }, SECRET, header)}`],
        ['issued far in the future', `Bearer ${signJwt({ ...payload, iat: now + 7200, exp: now + 9000 }, SECRET, header)}`],
        ['another issuer', `Bearer ${signJwt({ ...payload, iss: 'someone-else' }, SECRET, header)}`],
        ['a tampered subject', `Bearer ${token.split('.')[0]}.${b64url({ ...payload, sub: '00000000-0000-7000-8000-000000000000' })}.${token.split('.')[2]}`],
        ['an unknown session', `Bearer ${signJwt({ ...payload, sid: '00000000-0000-7000-8000-000000000001' }, SECRET, header)}`],
        ['garbage', 'Bearer not.a.jwt'],
        ['two parts', 'Bearer abc.def'],
        ['a 5000-character token', `Bearer ${'a'.repeat(5000)}`],
        ['Basic scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
        ['Bearer without a token', 'Bearer '],
        ['the token without a scheme', token],
      ]) {
        const res = await request(server.url, 'GET', '/v1/interviews', { headers: { Authorization: value } });
        checkProblem(assert, res, 401, `token ${what}`);
      }
      checkProblem(assert, await request(server.url, 'GET', '/v1/interviews'), 401, 'no Authorization header');
      await stillServing(server, 'bad tokens');
    });

    test('still alive and still correct at the end; SIGTERM still exits cleanly', async () => {
      const list = await request(server.url, 'GET', '/v1/interviews', { token });
      assert.equal(list.status, 200, list.text);
      assert.ok(list.json.items.some((i) => i.title === 'ct ok'));
      assert.ok(isAlive(server), 'server died');
      assert.ok(!server.lines.some((l) => /"level":"(error|fatal)"/.test(l)),
        `error log lines:\n${server.lines.filter((l) => /"level":"(error|fatal)"/.test(l)).join('\n')}`);
      // Nothing the bad requests did may keep the drain waiting or crash it.
      const t0 = Date.now();
      const exit = await server.stop('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM: ${JSON.stringify(exit)}`);
      assert.ok(Date.now() - t0 < 3000, `drain took ${Date.now() - t0} ms with no request in flight`);
      assert.ok(!server.lines.some((l) => l.includes('drain timeout')), 'the drain timed out: connections leaked');
    });
  });
}

// Every connection the server gives up on must give its slot back: with
// --max-connections 5, twenty bad requests in a row must not lock out the
// next good one, and SIGTERM afterwards must exit 0 promptly.
test('sqlite: bad requests do not leak connection slots (max-connections 5) and SIGTERM exits 0', { timeout: 30000 }, async () => {
  const server = await startServer({ args: ['--max-connections', '5', '--drain-timeout', '3s'] });
  try {
    const outcomes = [];
    for (let i = 0; i < 20; i++) {
      const bytes = [
        'GARBAGE\r\n\r\n',
        'GET /healthz HTTP/1.1 extra\r\nHost: x\r\n\r\n',
        `GET /healthz?${'q'.repeat(17 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `FOO /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
        'FOO /v1/interviews HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n',
      ][i % 5];
      outcomes.push(await rawRequest(server.port, bytes).then((r) => r.status, (e) => e.message.slice(0, 60)));
      const h = await request(server.url, 'GET', '/healthz').then((r) => r.status, (e) => e.code ?? e.message);
      assert.equal(h, 200, `after ${i + 1} bad requests (${outcomes.join(' | ')}), GET /healthz -> ${h}`);
    }
    assert.ok(isAlive(server), 'server died');
    const t0 = Date.now();
    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM: ${JSON.stringify(exit)}`);
    assert.ok(Date.now() - t0 < 2500, `drain took ${Date.now() - t0} ms with no request in flight`);
  } finally {
    await server.stop('SIGKILL');
    server.cleanup();
  }
});
