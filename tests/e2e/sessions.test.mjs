// Sessions: refresh-token rotation, reuse detection (a spent token revokes
// the whole family, newer tokens and access tokens included), logout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, registerUser, checkProblem, isAlive, createPgDatabase } from './support.mjs';

const PASSWORD = 'correct horse battery';

function client(server) {
  return {
    refresh: (refreshToken) => request(server.url, 'POST', '/v1/auth/refresh', { body: { refreshToken } }),
    login: (email) => request(server.url, 'POST', '/v1/auth/login', { body: { email, password: PASSWORD } }),
    logout: (token) => request(server.url, 'POST', '/v1/auth/logout', { token }),
    list: (token) => request(server.url, 'GET', '/v1/interviews', { token }),
  };
}

for (const database of ['sqlite', 'postgresql']) {
  test(`${database}: refresh rotates; reusing a spent refresh token revokes the whole session`, { timeout: 60000 }, async () => {
    const server = await startServer({ database, args: ['--rate-limit-auth', 'off'] });
    const api = client(server);
    try {
      const user = await registerUser(server.url, 'sessions');
      // A second, independent session of the same user.
      const other = await api.login(user.email);
      assert.equal(other.status, 200, other.text);

      const r1 = await api.refresh(user.refreshToken);
      assert.equal(r1.status, 200, r1.text);
      assert.equal(r1.json.tokenType, 'Bearer');
      assert.notEqual(r1.json.refreshToken, user.refreshToken, 'refresh token not rotated');
      assert.equal((await api.list(r1.json.accessToken)).status, 200);
      const r2 = await api.refresh(r1.json.refreshToken);
      assert.equal(r2.status, 200, r2.text);
      assert.equal((await api.list(r2.json.accessToken)).status, 200);

      // The first token is spent: using it again is refused...
      checkProblem(assert, await api.refresh(user.refreshToken), 401, 'reuse of a spent refresh token');
      // ...and ends the session: the newest refresh token is revoked too,
      checkProblem(assert, await api.refresh(r2.json.refreshToken), 401, 'newest refresh token after reuse');
      // and so are the session's access tokens, at once.
      checkProblem(assert, await api.list(r2.json.accessToken), 401, 'newest access token after reuse');
      checkProblem(assert, await api.list(r1.json.accessToken), 401, 'older access token after reuse');
      checkProblem(assert, await api.list(user.token), 401, 'first access token after reuse');

      // The other session is untouched.
      assert.equal((await api.list(other.json.accessToken)).status, 200);
      const o1 = await api.refresh(other.json.refreshToken);
      assert.equal(o1.status, 200, o1.text);
      assert.equal((await api.list(o1.json.accessToken)).status, 200);

      // Concurrent refreshes with one token: at most one wins.
      const fresh = await api.login(user.email);
      const race = await Promise.all(Array.from({ length: 10 }, () => api.refresh(fresh.json.refreshToken)));
      const winners = race.filter((r) => r.status === 200);
      assert.ok(winners.length <= 1, `${winners.length} concurrent refreshes of one token succeeded`);
      assert.ok(race.every((r) => r.status === 200 || r.status === 401), race.map((r) => r.status).join(' '));

      // Nonsense refresh tokens.
      for (const bad of ['x', 'a'.repeat(300), user.token]) {
        checkProblem(assert, await api.refresh(bad), 401, `refresh token ${bad.slice(0, 10)}`);
      }
      assert.ok(isAlive(server));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test(`${database}: after logout the access and refresh tokens of that session are refused`, { timeout: 60000 }, async () => {
    const server = await startServer({ database, args: ['--rate-limit-auth', 'off'] });
    const api = client(server);
    try {
      const user = await registerUser(server.url, 'logout');
      const session = await api.login(user.email);
      assert.equal(session.status, 200, session.text);
      const token = session.json.accessToken;
      // Used (and so cached) before the logout.
      assert.equal((await api.list(token)).status, 200);
      assert.equal((await api.list(token)).status, 200);

      const out = await api.logout(token);
      assert.equal(out.status, 204, out.text);
      assert.equal(out.text, '');
      // The access token is still unexpired, but its session is gone.
      checkProblem(assert, await api.list(token), 401, 'access token after logout');
      checkProblem(assert, await api.logout(token), 401, 'second logout');
      checkProblem(assert, await api.refresh(session.json.refreshToken), 401, 'refresh token after logout');
      // The registration's own session is separate and still works.
      assert.equal((await api.list(user.token)).status, 200);
      const again = await api.refresh(user.refreshToken);
      assert.equal(again.status, 200, again.text);
      assert.ok(isAlive(server));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
}

// Two processes on one PostgreSQL database (as README allows): a logout on
// one must reach the other. Any per-process session cache may delay that;
// the test polls and reports how long the revoked token was still accepted.
test('postgresql: a logout on one process is honoured by another process on the same database', { timeout: 60000 }, async (t) => {
  const url = createPgDatabase();
  const env = { IC_DATABASE_URL: url, IC_JWT_SECRET: 'shared-secret-for-two-processes-0123456789' };
  const a = await startServer({ database: 'postgresql', env });
  let b;
  try {
    b = await startServer({ database: 'postgresql', env });
    const user = await registerUser(a.url, 'two-processes');
    assert.equal((await client(b).list(user.token)).status, 200, 'token from A not accepted by B');
    const loggedOutAt = Date.now();
    assert.equal((await client(a).logout(user.token)).status, 204);
    assert.equal((await client(a).list(user.token)).status, 401);
    let status;
    while ((status = (await client(b).list(user.token)).status) === 200 && Date.now() - loggedOutAt < 15000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const staleMs = Date.now() - loggedOutAt;
    t.diagnostic(`process B accepted the logged-out token for ${staleMs} ms`);
    assert.equal(status, 401, `process B still accepts the token ${staleMs} ms after logout`);
    assert.ok(staleMs < 10000, `process B accepted the revoked token for ${staleMs} ms`);
  } finally {
    for (const s of [a, b]) if (s) await s.stop();
    a.cleanup();
    b?.cleanup();
  }
});
