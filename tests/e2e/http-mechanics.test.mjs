// HTTP/1.1 mechanics over a raw socket: keep-alive, pipelining, chunked
// request bodies, Expect: 100-continue, and the X-Request-Id echo rules.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, registerUser, RawConnection, isAlive } from './support.mjs';

const SANE_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

for (const database of ['sqlite', 'postgresql']) {
  describe(`${database}: HTTP/1.1 over a raw socket`, { timeout: 60000 }, () => {
    let server;
    let token;
    let host;

    // One request's bytes; a string body gets a Content-Length.
    function req(method, path, { body, headers = [] } = {}) {
      const lines = [`${method} ${path} HTTP/1.1`, host, `Authorization: Bearer ${token}`, ...headers];
      if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
      return lines.join('\r\n') + '\r\n\r\n' + (body ?? '');
    }

    before(async () => {
      server = await startServer({ database });
      ({ token } = await registerUser(server.url, 'mechanics'));
      host = `Host: ${server.host}:${server.port}`;
    });
    after(async () => {
      if (!server) return;
      await server.stop();
      server.cleanup();
    });

    test('keep-alive: several sequential requests, errors included, on one connection', async () => {
      const c = await RawConnection.open(server.port, server.host);
      try {
        const steps = [];
        const send = async (bytes) => {
          await c.write(bytes);
          const r = await c.response();
          steps.push(r.status);
          assert.equal(r.httpVersion, '1.1');
          assert.notEqual((r.headers.connection ?? '').toLowerCase(), 'close', `step ${steps.length} closes the connection`);
          assert.ok(!c.isClosed, `connection closed after step ${steps.length}`);
          return r;
        };
        assert.equal((await send(req('GET', '/healthz'))).status, 200);
        const created = await send(req('POST', '/v1/interviews', { body: '{"title":"keep-alive"}' }));
        assert.equal(created.status, 201, created.text);
        const id = created.json.id;
        assert.equal((await send(req('GET', `/v1/interviews/${id}`))).json.title, 'keep-alive');
        assert.equal((await send(req('GET', '/v1/nope'))).status, 404);
        assert.equal((await send(req('POST', '/v1/interviews', { body: '{"bogus":1}' }))).status, 400);
        assert.equal((await send(req('PATCH', `/v1/interviews/${id}`, { body: '{"company":"Acme"}' }))).json.company, 'Acme');
        const list = await send(req('GET', '/v1/interviews?limit=5'));
        assert.ok(list.json.items.some((i) => i.id === id));
        const del = await send(req('DELETE', `/v1/interviews/${id}`));
        assert.equal(del.status, 204);
        assert.equal(del.body.length, 0);
        assert.equal((await send(req('GET', `/v1/interviews/${id}`))).status, 404);
        assert.equal((await send(req('GET', '/healthz'))).status, 200);
        assert.deepEqual(steps, [200, 201, 200, 404, 400, 200, 200, 204, 404, 200]);
        assert.equal(c.buffer.length, 0, 'bytes after the last response');
      } finally {
        c.destroy();
      }
    });

    test('Connection: close and HTTP/1.0 end the connection after the response', async () => {
      for (const bytes of [
        `GET /healthz HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`,
        'GET /healthz HTTP/1.0\r\n\r\n',
      ]) {
        const c = await RawConnection.open(server.port, server.host);
        try {
          await c.write(bytes);
          const r = await c.response();
          assert.equal(r.status, 200, r.text);
          await c.closed(5000);
        } finally {
          c.destroy();
        }
      }
    });

    test('pipelining: three requests in one write get three responses, in order', async () => {
      const c = await RawConnection.open(server.port, server.host);
      try {
        await c.write(
          req('GET', '/healthz', { headers: ['X-Request-Id: pipe-1'] }) +
          req('POST', '/v1/interviews', { body: '{"title":"pipelined"}', headers: ['X-Request-Id: pipe-2'] }) +
          req('GET', '/v1/interviews?limit=100', { headers: ['X-Request-Id: pipe-3'] }),
        );
        const responses = [await c.response(), await c.response(), await c.response()];
        assert.deepEqual(responses.map((r) => r.headers['x-request-id']), ['pipe-1', 'pipe-2', 'pipe-3']);
        assert.deepEqual(responses.map((r) => r.status), [200, 201, 200]);
        assert.deepEqual(responses[0].json, { status: 'ok' });
        // The third saw the second's effect: they ran in order.
        assert.equal(responses[2].json.items[0].id, responses[1].json.id);
        assert.ok(!c.isClosed);
        // And the connection still works afterwards.
        await c.write(req('GET', '/healthz', { headers: ['X-Request-Id: pipe-4'] }));
        assert.equal((await c.response()).headers['x-request-id'], 'pipe-4');
      } finally {
        c.destroy();
      }
    });

    test('a chunked request body is accepted for POST /v1/interviews', async () => {
      const body = JSON.stringify({ title: 'chunked body', company: 'Chunk & Co', jobDescription: 'j'.repeat(10000) });
      const pieces = [body.slice(0, 1), body.slice(1, 7), body.slice(7, 5000), body.slice(5000)];
      const c = await RawConnection.open(server.port, server.host);
      try {
        await c.write(`POST /v1/interviews HTTP/1.1\r\n${host}\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        // Sent as separate writes, with a chunk extension on one of them.
        for (const [i, p] of pieces.entries()) {
          await c.write(`${Buffer.byteLength(p).toString(16)}${i === 2 ? ';ext=1' : ''}\r\n${p}\r\n`);
        }
        await c.write('0\r\n\r\n');
        const r = await c.response();
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.title, 'chunked body');
        assert.equal(r.json.company, 'Chunk & Co');
        assert.equal(r.json.jobDescription.length, 10000);
        // Same connection, next request.
        await c.write(req('GET', `/v1/interviews/${r.json.id}`));
        const back = await c.response();
        assert.equal(back.status, 200);
        assert.equal(back.json.title, 'chunked body');
      } finally {
        c.destroy();
      }
    });

    test('Expect: 100-continue gets "HTTP/1.1 100 Continue" before the final response', async () => {
      const body = '{"title":"after 100 continue"}';
      const c = await RawConnection.open(server.port, server.host);
      try {
        await c.write(`POST /v1/interviews HTTP/1.1\r\n${host}\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
        // The body is withheld until the interim response arrives.
        const interim = await c.response(5000);
        assert.equal(interim.status, 100);
        assert.equal(interim.reason, 'Continue');
        assert.equal(c.buffer.length, 0, 'a final response came before the body was sent');
        await c.write(body);
        const final = await c.response();
        assert.equal(final.status, 201, final.text);
        assert.equal(final.json.title, 'after 100 continue');
      } finally {
        c.destroy();
      }
      // A body over the limit is refused at once: 413, no 100 Continue.
      const d = await RawConnection.open(server.port, server.host);
      try {
        await d.write(`POST /v1/interviews HTTP/1.1\r\n${host}\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${4 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`);
        const r = await d.response(5000);
        assert.equal(r.status, 413, r.text);
      } finally {
        d.destroy();
      }
    });

    test('X-Request-Id: a sane id is echoed; an insane one is replaced by a fresh id', async () => {
      const echoed = [
        'abc-123', 'trace.id_1:2@host+x=y/z-9', 'A'.repeat(128), '7c1f0a2e-8d5b-4a8e-9d3c-2f1e0b9a8c7d',
      ];
      for (const id of echoed) {
        const r = await request(server.url, 'GET', '/healthz', { headers: { 'X-Request-Id': id } });
        assert.equal(r.headers['x-request-id'], id, `sane id ${id}`);
      }
      // Also echoed on an error response.
      const err = await request(server.url, 'GET', '/v1/nope', { headers: { 'X-Request-Id': 'err-id-1' } });
      assert.equal(err.status, 404);
      assert.equal(err.headers['x-request-id'], 'err-id-1');

      const replaced = ['A'.repeat(129), 'has spaces in it', 'semi;colon', 'quote"d', 'tab\there', 'per%cent', 'ümlaut', 'x'.repeat(5000)];
      const fresh = new Set();
      for (const id of replaced) {
        // Raw, so the exact bytes go out (node would refuse some of them).
        const c = await RawConnection.open(server.port, server.host);
        try {
          await c.write(Buffer.concat([Buffer.from(`GET /healthz HTTP/1.1\r\n${host}\r\nX-Request-Id: `), Buffer.from(id, 'utf8'), Buffer.from('\r\n\r\n')]));
          const r = await c.response();
          assert.equal(r.status, 200, `${JSON.stringify(id)}: ${r.status}`);
          const got = r.headers['x-request-id'];
          assert.ok(got, `no X-Request-Id for ${JSON.stringify(id)}`);
          assert.notEqual(got, id, `insane id ${JSON.stringify(id)} was echoed`);
          assert.match(got, SANE_ID, `replacement for ${JSON.stringify(id)} is not sane: ${got}`);
          fresh.add(got);
        } finally {
          c.destroy();
        }
      }
      assert.equal(fresh.size, replaced.length, 'replacement ids repeat');
      // Without one, every response still gets a distinct id.
      const a = await request(server.url, 'GET', '/healthz');
      const b = await request(server.url, 'GET', '/healthz');
      assert.match(a.headers['x-request-id'], SANE_ID);
      assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
      assert.ok(isAlive(server));
    });
  });
}
