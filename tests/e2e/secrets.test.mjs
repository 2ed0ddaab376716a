// Secrets at rest and on the wire: a server that makes its own data
// directory keeps it and every key, secret and database file in it to its
// own user (even under umask 022); the master key may live outside the data
// directory; token answers are never cached; one email address is one
// account however it is padded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, request, registerUser } from './support.mjs';

const PASSWORD = 'correct horse battery';

// The server inherits this process's umask: the common default, which
// leaves new files readable by everyone unless their mode says otherwise.
process.umask(0o022);

const modeOf = (path) => statSync(path).mode & 0o777;
const octal = (mode) => `0${mode.toString(8)}`;

test('a data directory the server creates under umask 022 is private, and so is every file in it', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'companion-secrets-'));
  const dataDir = join(parent, 'data');  // does not exist yet
  const server = await startServer({ dataDir });
  try {
    // A write, so the database has its WAL files.
    await registerUser(server.url, 'modes');
    assert.equal(modeOf(dataDir) & 0o077, 0, `data dir ${octal(modeOf(dataDir))}`);
    const files = readdirSync(dataDir).filter((name) => statSync(join(dataDir, name)).isFile());
    for (const expected of ['master-key', 'jwt-secret', 'companion.db', 'companion.db-wal', 'companion.db-shm'])
      assert.ok(files.includes(expected), `${expected} missing from ${files}`);
    for (const name of files)
      assert.equal(modeOf(join(dataDir, name)) & 0o077, 0, `${name} is ${octal(modeOf(join(dataDir, name)))}`);
    // Nothing half-written is left beside the secrets.
    assert.deepEqual(files.filter((name) => name.includes('.tmp')), []);
  } finally {
    await server.stop();
    rmSync(parent, { recursive: true, force: true });
  }
});

test('the master key can live outside the data directory, and is kept across restarts', async () => {
  const keys = mkdtempSync(join(tmpdir(), 'companion-keys-'));
  const keyFile = join(keys, 'ic-master-key');
  let server = await startServer({ args: ['--master-key-file', keyFile] });
  const { dataDir } = server;
  try {
    const user = await registerUser(server.url, 'outside');
    const created = await request(server.url, 'POST', '/v1/interviews', { token: user.token, body: { title: 'Key' } });
    assert.equal(created.status, 201, created.text);
    const put = await request(server.url, 'PUT', `/v1/interviews/${created.json.id}/recording`, {
      token: user.token, rawBody: Buffer.alloc(4096, 1), contentType: 'audio/wav', headers: { 'Recording-Consent': 'all-parties' },
    });
    assert.ok([201, 415, 422].includes(put.status), put.text);  // the user's data key exists either way
    assert.ok(existsSync(keyFile), 'no key file where it was asked for');
    assert.equal(modeOf(keyFile), 0o600);
    assert.ok(!existsSync(join(dataDir, 'master-key')), 'a master key was also written into the data directory');
    await server.stop();

    // The same key file again: the server starts and the user's key opens.
    server = await startServer({ dataDir, args: ['--master-key-file', keyFile] });
    const login = await request(server.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: PASSWORD } });
    assert.equal(login.status, 200, login.text);
    await server.stop();

    // Without it (a mount that did not come up), the server refuses to
    // start rather than generate a key that opens none of the stored ones.
    rmSync(keyFile);
    await assert.rejects(startServer({ dataDir, args: ['--master-key-file', keyFile] }), /master key file/);
    assert.ok(!existsSync(keyFile), 'a new master key was generated over stored user keys');
  } finally {
    await server.stop();
    server.cleanup();
    rmSync(keys, { recursive: true, force: true });
  }
});

test('register, login and refresh answers carry Cache-Control: no-store', async () => {
  const server = await startServer({ args: ['--rate-limit-auth', 'off'] });
  try {
    const email = `cache-${process.pid}-${Date.now()}@example.com`;
    const reg = await request(server.url, 'POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'C' } });
    assert.equal(reg.status, 201, reg.text);
    assert.equal(reg.headers['cache-control'], 'no-store', 'register');
    const login = await request(server.url, 'POST', '/v1/auth/login', { body: { email, password: PASSWORD } });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.headers['cache-control'], 'no-store', 'login');
    const refresh = await request(server.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: login.json.refreshToken } });
    assert.equal(refresh.status, 200, refresh.text);
    assert.equal(refresh.headers['cache-control'], 'no-store', 'refresh');
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('an email padded with a form feed, spaces or Unicode spaces is the same account', async () => {
  const server = await startServer({ args: ['--rate-limit-auth', 'off'] });
  try {
    const local = `pad-${process.pid}-${Date.now()}`;
    const register = (email) => request(server.url, 'POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'P' } });
    const first = await register(`${local}@b.co\f`);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.json.user.email, `${local}@b.co`);
    for (const again of [`${local}@b.co`, ` ${local.toUpperCase()}@B.co `, `\u00a0${local}@b.co\u3000`, `${local}@b.co\v`, `\ufeff${local}@b.co\u2028`]) {
      const r = await register(again);
      assert.equal(r.status, 409, `${JSON.stringify(again)}: ${r.status} ${r.text}`);
    }
    // Signing in takes the same spellings.
    const login = await request(server.url, 'POST', '/v1/auth/login', { body: { email: `\t${local}@B.CO\u2003`, password: PASSWORD } });
    assert.equal(login.status, 200, login.text);
    // Whitespace inside is not trimmed: refused as no address.
    const inside = await register(`${local}\u00a0x@b.co`);
    assert.equal(inside.status, 400, inside.text);
  } finally {
    await server.stop();
    server.cleanup();
  }
});
