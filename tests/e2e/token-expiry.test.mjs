// An access token stops working once it expires. With --access-token-ttl 1s
// the test polls until the token is refused: not before the lifetime plus
// the verifier's 5 s clock-skew leeway (jwt.hpp), and not much after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, registerUser, checkProblem, decodeJwt, isAlive, delay } from './support.mjs';

const TTL_S = 1;
const LEEWAY_S = 5; // crypto::JwtSettings::leeway
// exp and iat are whole seconds: the token may be refused up to a second
// before TTL + leeway after the register call returned.
const EARLIEST_MS = (TTL_S + LEEWAY_S - 1) * 1000;
const DEADLINE_MS = (TTL_S + LEEWAY_S) * 1000 + 4000; // + slack for a loaded machine

test(`sqlite: an access token issued with --access-token-ttl ${TTL_S}s is refused (401) once expired`, { timeout: 60000 }, async (t) => {
  const server = await startServer({ args: ['--access-token-ttl', `${TTL_S}s`] });
  try {
    const issuedAt = Date.now();
    const user = await registerUser(server.url, 'expiry');
    const { payload } = decodeJwt(user.token);
    assert.equal(payload.exp - payload.iat, TTL_S, `exp - iat in ${JSON.stringify(payload)}`);
    const first = await request(server.url, 'GET', '/v1/interviews', { token: user.token });
    assert.equal(first.status, 200, first.text);

    // Poll (not a fixed sleep) until the token is refused.
    let res;
    for (;;) {
      res = await request(server.url, 'GET', '/v1/interviews', { token: user.token });
      if (res.status !== 200 || Date.now() - issuedAt > DEADLINE_MS) break;
      await delay(250);
    }
    const refusedAfter = Date.now() - issuedAt;
    t.diagnostic(`token with a ${TTL_S}s lifetime was refused ${refusedAfter} ms after it was issued`);
    checkProblem(assert, res, 401, `token ${refusedAfter} ms after issue`);
    assert.ok(refusedAfter >= EARLIEST_MS, `refused before lifetime + leeway (${refusedAfter} ms)`);
    assert.ok(refusedAfter <= DEADLINE_MS, `still accepted long after lifetime + leeway (${refusedAfter} ms)`);

    // The refresh token still works and gives a token that works.
    const refreshed = await request(server.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.json.expiresIn, TTL_S);
    const again = await request(server.url, 'GET', '/v1/interviews', { token: refreshed.json.accessToken });
    assert.equal(again.status, 200, again.text);
    assert.ok(isAlive(server));
  } finally {
    await server.stop();
    server.cleanup();
  }
});
