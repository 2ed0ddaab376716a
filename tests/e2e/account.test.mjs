// The account: profile and retention settings (/v1/me), changing the
// password (other sessions end at once), the session list with "sign out
// everywhere", the user's audit trail, and `interview-companion audit
// verify` on the database the server wrote, intact and tampered with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BINARY, startServer, request, registerUser, checkProblem, createPgDatabase } from './support.mjs';

const PASSWORD = 'correct horse battery';
const OPEN = ['--rate-limit-auth', 'off', '--login-limit-email', 'off'];

const api = (server) => ({
  get: (path, token) => request(server.url, 'GET', path, { token }),
  patch: (path, token, body) => request(server.url, 'PATCH', path, { token, body }),
  post: (path, token, body) => request(server.url, 'POST', path, { token, body }),
  del: (path, token) => request(server.url, 'DELETE', path, { token }),
  login: (email, password = PASSWORD) => request(server.url, 'POST', '/v1/auth/login', { body: { email, password } }),
});

test('GET and PATCH /v1/me: display name and retention, capped by the operator', { timeout: 60000 }, async () => {
  const server = await startServer({ args: [...OPEN, '--retention-max-days', '365'] });
  const c = api(server);
  try {
    const user = await registerUser(server.url, 'profile');
    const me = await c.get('/v1/me', user.token);
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, user.user.id);
    assert.equal(me.json.email, user.email);
    assert.deepEqual(me.json.settings.retention, { recordingDays: null, transcriptDays: null, maxDays: 365 });

    const changed = await c.patch('/v1/me', user.token, { displayName: 'Grace', retention: { recordingDays: 30 } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.json.displayName, 'Grace');
    assert.deepEqual(changed.json.settings.retention, { recordingDays: 30, transcriptDays: null, maxDays: 365 });
    // A key left out stays; null means keep (up to the operator's maximum).
    const again = await c.patch('/v1/me', user.token, { retention: { transcriptDays: 90 } });
    assert.equal(again.json.settings.retention.recordingDays, 30);
    assert.equal(again.json.settings.retention.transcriptDays, 90);
    const cleared = await c.patch('/v1/me', user.token, { retention: { recordingDays: null } });
    assert.equal(cleared.json.settings.retention.recordingDays, null);
    assert.equal((await c.get('/v1/me', user.token)).json.displayName, 'Grace');

    for (const [body, field] of [
      [{ retention: { recordingDays: 366 } }, 'retention.recordingDays'],
      [{ retention: { transcriptDays: 0 } }, 'retention.transcriptDays'],
      [{ retention: { transcriptDays: 1.5 } }, 'retention.transcriptDays'],
      [{ retention: { recordingDays: '30' } }, 'retention.recordingDays'],
      [{ retention: { forever: true } }, 'retention.forever'],
      [{ retention: 7 }, 'retention'],
      [{ displayName: '' }, 'displayName'],
      [{ email: 'x@example.com' }, 'email'],
    ]) {
      const r = await c.patch('/v1/me', user.token, body);
      checkProblem(assert, r, 400, JSON.stringify(body));
      assert.ok(r.json.errors.some((e) => e.field === field), `${JSON.stringify(body)}: ${r.text}`);
    }
    checkProblem(assert, await request(server.url, 'PATCH', '/v1/me', { token: user.token, rawBody: '{"displayName":', contentType: 'application/json' }), 400);
    checkProblem(assert, await c.get('/v1/me'), 401);
    // Nothing was changed by the refused requests.
    assert.deepEqual((await c.get('/v1/me', user.token)).json.settings.retention, { recordingDays: null, transcriptDays: 90, maxDays: 365 });
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('changing the password ends every other session at once and is audited', { timeout: 60000 }, async () => {
  const server = await startServer({ args: OPEN });
  const c = api(server);
  try {
    const user = await registerUser(server.url, 'password');
    const other = (await c.login(user.email)).json;
    checkProblem(assert, await c.post('/v1/me/password', user.token, { currentPassword: 'wrong password', newPassword: 'a brand new passphrase' }), 403);
    checkProblem(assert, await c.post('/v1/me/password', user.token, { currentPassword: PASSWORD, newPassword: 'short' }), 400);
    checkProblem(assert, await c.post('/v1/me/password', user.token, { newPassword: 'a brand new passphrase' }), 400);
    assert.equal((await c.get('/v1/me', other.accessToken)).status, 200, 'refused attempts end nothing');

    const r = await c.post('/v1/me/password', user.token, { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' });
    assert.equal(r.status, 204, r.text);
    checkProblem(assert, await c.get('/v1/me', other.accessToken), 401, 'the other session');
    checkProblem(assert, await request(server.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: other.refreshToken } }), 401);
    assert.equal((await c.get('/v1/me', user.token)).status, 200, 'this session goes on');
    checkProblem(assert, await c.login(user.email), 401, 'the old password');
    assert.equal((await c.login(user.email, 'a brand new passphrase')).status, 200);

    const audit = await c.get('/v1/me/audit', user.token);
    assert.equal(audit.status, 200, audit.text);
    const actions = audit.json.items.map((e) => e.action);
    assert.deepEqual(actions, ['session.started', 'login.failed', 'password.changed', 'session.started', 'user.registered']);
    const changed = audit.json.items[2];
    assert.equal(changed.ip, '127.0.0.1');
    assert.equal(changed.detail.sessionsEnded, 1);
    assert.match(changed.at, /^\d{4}-\d\d-\d\dT/);
    assert.ok(!audit.text.includes(user.email) && !audit.text.includes(PASSWORD), 'no email or password in the trail');
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('sessions: listed with the current one marked; one ends, or all of them', { timeout: 60000 }, async () => {
  const server = await startServer({ args: OPEN });
  const c = api(server);
  try {
    const user = await registerUser(server.url, 'sessions-list');
    const second = (await c.login(user.email)).json;
    const stranger = await registerUser(server.url, 'stranger');
    const list = await c.get('/v1/me/sessions', user.token);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.items.length, 2);
    const current = list.json.items.filter((s) => s.current);
    assert.equal(current.length, 1);
    for (const s of list.json.items) for (const k of ['id', 'createdAt', 'lastUsedAt', 'expiresAt']) assert.ok(s[k], k);
    const secondId = list.json.items.find((s) => !s.current).id;

    const theirs = (await c.get('/v1/me/sessions', stranger.token)).json.items[0].id;
    checkProblem(assert, await c.del(`/v1/me/sessions/${theirs}`, user.token), 404, "another user's session");
    checkProblem(assert, await c.del('/v1/me/sessions/not-a-uuid', user.token), 404);
    assert.equal((await c.get('/v1/me', stranger.token)).status, 200);

    assert.equal((await c.del(`/v1/me/sessions/${secondId}`, user.token)).status, 204);
    checkProblem(assert, await c.get('/v1/me', second.accessToken), 401, 'the ended session');
    assert.equal((await c.get('/v1/me/sessions', user.token)).json.items.length, 1);

    const third = (await c.login(user.email)).json;
    assert.equal((await c.del('/v1/me/sessions', user.token)).status, 204);
    checkProblem(assert, await c.get('/v1/me', user.token), 401, 'this session, signed out everywhere');
    checkProblem(assert, await c.get('/v1/me', third.accessToken), 401, 'another session, signed out everywhere');
    assert.equal((await c.get('/v1/me', stranger.token)).status, 200, 'other users are untouched');
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('GET /v1/me/audit pages with a cursor and refuses a forged one', { timeout: 60000 }, async () => {
  const server = await startServer({ args: OPEN });
  const c = api(server);
  try {
    const user = await registerUser(server.url, 'audit-pages');
    for (let i = 0; i < 4; i++) await c.login(user.email);
    const seen = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const r = await c.get(`/v1/me/audit?limit=2&cursor=${cursor}`, user.token);
      assert.equal(r.status, 200, r.text);
      seen.push(...r.json.items.map((e) => e.id));
      if (!r.json.nextCursor) break;
      cursor = r.json.nextCursor;
    }
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
    checkProblem(assert, await c.get('/v1/me/audit?cursor=bm90LWEtbnVtYmVy', user.token), 400);
    checkProblem(assert, await c.get('/v1/me/audit?limit=0', user.token), 400);
    checkProblem(assert, await c.get('/v1/me/audit?since=1', user.token), 400);
    // Another user sees only their own entries.
    const other = await registerUser(server.url, 'audit-other');
    assert.deepEqual((await c.get('/v1/me/audit', other.token)).json.items.map((e) => e.action), ['user.registered']);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

function verify(dataDir, databaseUrl) {
  const args = ['audit', 'verify', '--data-dir', dataDir, '--log-level', 'error'];
  if (databaseUrl) args.push('--database-url', databaseUrl);
  const r = spawnSync(BINARY, args, { encoding: 'utf8', timeout: 30000, env: { PATH: process.env.PATH } });
  return { code: r.status, out: r.stdout + r.stderr };
}

for (const database of ['sqlite', 'postgresql']) {
  test(`${database}: audit verify passes an intact trail and names the first entry tampered with`, { timeout: 60000 }, async () => {
    const dbUrl = database === 'postgresql' ? createPgDatabase() : undefined;
    const server = await startServer({ database, args: OPEN, env: dbUrl ? { IC_DATABASE_URL: dbUrl } : {} });
    try {
      const user = await registerUser(server.url, 'verify');
      await api(server).login(user.email, 'not the password');
      await api(server).login(user.email);
      await api(server).login('nobody@example.com', 'not the password');
    } finally {
      await server.stop();
    }
    try {
      let r = verify(server.dataDir, dbUrl);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /audit log intact: 4 entries/);

      // Someone with write access edits entry 2 (the failed sign-in).
      if (database === 'sqlite') {
        execFileSync('python3', ['-c', `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DROP TRIGGER audit_log_no_update")
c.execute("UPDATE audit_log SET action = 'session.started' WHERE id = 2")
c.commit()
`, join(server.dataDir, 'companion.db')]);
      } else {
        execFileSync('psql', [dbUrl, '-qAt', '-c',
          "ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET action = 'session.started' WHERE id = 2"]);
      }
      r = verify(server.dataDir, dbUrl);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /audit log broken at entry 2:/);
    } finally {
      server.cleanup();
    }
  });
}
