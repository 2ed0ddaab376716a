// Rate limits: per address, per user, on the auth routes, and login attempts
// per email. Each limit is set small on the command line, so a short burst
// from the test exhausts it; /healthz stays exempt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, registerUser, checkProblem, isAlive, until } from './support.mjs';

const PASSWORD = 'correct horse battery';

// A 429 problem with a Retry-After of whole seconds >= 1.
function checkLimited(res, what) {
  checkProblem(assert, res, 429, what);
  assert.equal(res.json.type, '/problems/rate-limited', what);
  const retry = res.headers['retry-after'];
  assert.match(String(retry), /^\d+$/, `${what}: Retry-After ${retry}`);
  assert.ok(Number(retry) >= 1, `${what}: Retry-After ${retry}`);
  return Number(retry);
}

// Sends `n` requests one after another; returns the responses and the time
// the burst took (a burst slower than the 2 s refill period proves nothing).
async function burst(n, send) {
  const start = Date.now();
  const results = [];
  for (let i = 0; i < n; i++) results.push(await send(i));
  return { results, ms: Date.now() - start };
}

for (const database of ['sqlite', 'postgresql']) {
  test(`${database}: per-address limit -> 429 with Retry-After; /healthz is never limited; the bucket refills`, async () => {
    // Burst 3, then one request every 2 s: the 4th quick request is refused.
    const server = await startServer({ database, args: ['--rate-limit-ip', '0.5/3', '--rate-limit-user', 'off'] });
    try {
      const { token } = await registerUser(server.url, 'ratelimit-ip'); // auth routes have their own bucket
      const { results, ms } = await burst(4, () => request(server.url, 'GET', '/v1/interviews', { token }));
      assert.ok(ms < 1800, `burst too slow to be meaningful (${ms} ms)`);
      assert.deepEqual(results.slice(0, 3).map((r) => r.status), [200, 200, 200]);
      checkLimited(results[3], '4th GET /v1/interviews');
      // Unauthenticated requests from the same address are limited too (the
      // address bucket is checked before the token).
      checkLimited(await request(server.url, 'GET', '/v1/interviews'), 'GET /v1/interviews without a token');

      // /healthz while the address is over its limit: always served.
      for (let i = 0; i < 30; i++) {
        const h = await request(server.url, 'GET', '/healthz');
        assert.equal(h.status, 200, `healthz #${i}: ${h.status} ${h.text}`);
      }
      // The bucket refills: a request succeeds again within a few seconds.
      await until('the address bucket to refill', async () =>
        (await request(server.url, 'GET', '/v1/interviews', { token })).status === 200, { timeoutMs: 5000, intervalMs: 200 });
      assert.ok(isAlive(server));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test(`${database}: per-user limit -> 429 for that user only`, async () => {
    const server = await startServer({ database, args: ['--rate-limit-ip', 'off', '--rate-limit-user', '0.5/3'] });
    try {
      const a = await registerUser(server.url, 'ratelimit-user-a');
      const b = await registerUser(server.url, 'ratelimit-user-b');
      const { results, ms } = await burst(4, () => request(server.url, 'GET', '/v1/interviews', { token: a.token }));
      assert.ok(ms < 1800, `burst too slow to be meaningful (${ms} ms)`);
      assert.deepEqual(results.slice(0, 3).map((r) => r.status), [200, 200, 200]);
      checkLimited(results[3], "user A's 4th request");
      // Writes count against the same bucket.
      checkLimited(await request(server.url, 'POST', '/v1/interviews', { token: a.token, body: { title: 'x' } }),
        "user A's POST");
      // Same address, another user: unaffected.
      const other = await request(server.url, 'GET', '/v1/interviews', { token: b.token });
      assert.equal(other.status, 200, other.text);
      assert.equal((await request(server.url, 'GET', '/healthz')).status, 200);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test(`${database}: auth-route limit covers register, login and refresh per address`, async () => {
    const server = await startServer({ database, args: ['--rate-limit-auth', '0.5/3', '--rate-limit-ip', 'off'] });
    try {
      const start = Date.now();
      const first = await registerUser(server.url, 'ratelimit-auth');      // 1
      const login = await request(server.url, 'POST', '/v1/auth/login', {   // 2
        body: { email: first.email, password: PASSWORD },
      });
      assert.equal(login.status, 200, login.text);
      const refresh = await request(server.url, 'POST', '/v1/auth/refresh', { // 3
        body: { refreshToken: login.json.refreshToken },
      });
      assert.equal(refresh.status, 200, refresh.text);
      const fourth = await request(server.url, 'POST', '/v1/auth/register', {
        body: { email: `ratelimit-auth-4-${Date.now()}@example.com`, password: PASSWORD, displayName: 'x' },
      });
      const elapsed = Date.now() - start;
      assert.ok(elapsed < 1800, `burst too slow to be meaningful (${elapsed} ms)`);
      checkLimited(fourth, '4th auth request (register)');
      checkLimited(await request(server.url, 'POST', '/v1/auth/login', { body: { email: first.email, password: PASSWORD } }),
        'login after the auth burst');
      checkLimited(await request(server.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: refresh.json.refreshToken } }),
        'refresh after the auth burst');
      // Other routes use the (disabled) address limit, not the auth one.
      const list = await request(server.url, 'GET', '/v1/interviews', { token: first.token });
      assert.equal(list.status, 200, list.text);
      assert.equal((await request(server.url, 'GET', '/healthz')).status, 200);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test(`${database}: login attempts per email -> 429 even with the correct password after the burst`, async () => {
    // 3 attempts, then one every 20 s: the test never waits for a refill.
    const server = await startServer({
      database, args: ['--login-limit-email', '0.05/3', '--rate-limit-auth', 'off', '--rate-limit-ip', 'off'],
    });
    try {
      const victim = await registerUser(server.url, 'ratelimit-email');
      const bystander = await registerUser(server.url, 'ratelimit-bystander');
      const login = (email, password) => request(server.url, 'POST', '/v1/auth/login', { body: { email, password } });

      // Three wrong guesses use up the burst...
      for (let i = 0; i < 3; i++) {
        const r = await login(victim.email, `wrong password ${i}`);
        checkProblem(assert, r, 401, `wrong password #${i}`);
      }
      // ...so the right password is refused too, without being checked.
      const limited = await login(victim.email, PASSWORD);
      const retry = checkLimited(limited, 'correct password after 3 failures');
      assert.ok(retry > 1, `Retry-After ${retry} at 0.05/s`);
      // The key is the normalized email: changing its case does not help.
      checkLimited(await login(victim.email.toUpperCase(), PASSWORD), 'upper-cased email');
      // Another account from the same address is unaffected, and it too is
      // limited after its own burst of correct logins.
      for (let i = 0; i < 3; i++) {
        const r = await login(bystander.email, PASSWORD);
        assert.equal(r.status, 200, `bystander login #${i}: ${r.text}`);
      }
      checkLimited(await login(bystander.email, PASSWORD), "bystander's 4th correct login");
      // An unknown email is limited the same way (no account enumeration by 429s).
      const ghost = `nobody-${Date.now()}@example.com`;
      for (let i = 0; i < 3; i++) checkProblem(assert, await login(ghost, PASSWORD), 401, `unknown email #${i}`);
      checkLimited(await login(ghost, PASSWORD), 'unknown email after the burst');
      assert.ok(isAlive(server));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
}
