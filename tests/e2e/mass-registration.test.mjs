// 1,000 registrations, at most 100 in flight: all succeed with distinct ids,
// the server stays healthy, and a sample of the accounts can log in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, request, mapLimit, isAlive, within } from './support.mjs';

const USERS = 1000;
const IN_FLIGHT = 100;
const SAMPLE = 25;
const PASSWORD = 'correct horse battery';

for (const database of ['sqlite', 'postgresql']) {
  test(`${database}: ${USERS} concurrent registrations (${IN_FLIGHT} in flight) all succeed`, { timeout: 150000 }, async (t) => {
    const server = await startServer({
      database, args: ['--rate-limit-auth', 'off', '--rate-limit-ip', 'off', '--access-log', 'false'],
    });
    try {
      const run = randomUUID().slice(0, 8);
      const emails = Array.from({ length: USERS }, (_, i) => `mass-${run}-${i}@example.com`);
      const started = Date.now();
      let slowest = 0;
      const results = await mapLimit(emails, IN_FLIGHT, async (email, i) => {
        const t0 = Date.now();
        try {
          const r = await request(server.url, 'POST', '/v1/auth/register', {
            body: { email, password: PASSWORD, displayName: `Mass ${i}` },
          });
          return { status: r.status, id: r.json?.user?.id, email: r.json?.user?.email, token: r.json?.accessToken, text: r.text };
        } catch (e) {
          return { status: 'error', text: `${e.code ?? ''} ${e.message}` };
        } finally {
          slowest = Math.max(slowest, Date.now() - t0);
        }
      });
      const elapsed = Date.now() - started;
      t.diagnostic(`${database}: ${USERS} registrations in ${elapsed} ms (${(USERS / (elapsed / 1000)).toFixed(1)}/s), slowest ${slowest} ms`);

      const failed = results.map((r, i) => ({ ...r, i })).filter((r) => r.status !== 201);
      const byStatus = {};
      for (const f of failed) byStatus[f.status] = (byStatus[f.status] ?? 0) + 1;
      assert.equal(failed.length, 0,
        `${failed.length} registrations failed ${JSON.stringify(byStatus)}; first: ${failed.slice(0, 3).map((f) => `#${f.i} ${f.status} ${f.text}`).join(' | ')}`);
      const ids = new Set(results.map((r) => r.id));
      assert.equal(ids.size, USERS, 'user ids are not distinct');
      assert.ok(results.every((r, i) => r.email === emails[i]), 'a response names another email');
      assert.ok(!server.lines.some((l) => /"level":"error"/.test(l)),
        `error log lines: ${server.lines.filter((l) => /"level":"error"/.test(l)).slice(0, 3).join('\n')}`);

      // A sample can log in, and each token is that user's.
      const sample = Array.from({ length: SAMPLE }, (_, k) => Math.floor((k * USERS) / SAMPLE) + (k % 7));
      await within(60000, mapLimit(sample, 10, async (i) => {
        const login = await request(server.url, 'POST', '/v1/auth/login', { body: { email: emails[i], password: PASSWORD } });
        assert.equal(login.status, 200, `login #${i}: ${login.text}`);
        const wrong = await request(server.url, 'POST', '/v1/auth/login', { body: { email: emails[i], password: 'not the password' } });
        assert.equal(wrong.status, 401, `wrong password #${i}: ${wrong.text}`);
        const created = await request(server.url, 'POST', '/v1/interviews', { token: login.json.accessToken, body: { title: `mine ${i}` } });
        assert.equal(created.status, 201, created.text);
        const list = await request(server.url, 'GET', '/v1/interviews', { token: results[i].token });
        assert.deepEqual(list.json.items.map((x) => x.title), [`mine ${i}`], `user #${i} sees someone else's list`);
      }), 'sample logins');
      // A duplicate (case-insensitively) is still refused after the rush.
      const dup = await request(server.url, 'POST', '/v1/auth/register', {
        body: { email: emails[0].toUpperCase(), password: PASSWORD, displayName: 'dup' },
      });
      assert.equal(dup.status, 409, dup.text);
      assert.ok(isAlive(server));
      assert.equal((await request(server.url, 'GET', '/readyz')).status, 200);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
}

for (const database of ['sqlite', 'postgresql']) {
  test(`${database}: concurrent registrations of one email (in different cases) -> one 201, the rest 409`, { timeout: 60000 }, async () => {
    const server = await startServer({ database, args: ['--rate-limit-auth', 'off', '--rate-limit-ip', 'off'] });
    try {
      const email = `race-${randomUUID().slice(0, 8)}@example.com`;
      const variants = Array.from({ length: 10 }, (_, i) => (i % 2 ? email.toUpperCase() : email));
      const results = await Promise.all(variants.map((e) => request(server.url, 'POST', '/v1/auth/register', {
        body: { email: e, password: PASSWORD, displayName: 'Race' },
      })));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, ...Array(9).fill(409)], `statuses: ${results.map((r) => `${r.status} ${r.status !== 201 && r.status !== 409 ? r.text : ''}`).join(' | ')}`);
      assert.ok(isAlive(server));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
}
