// Erasure (DELETE /v1/me): from the answer on every token is refused and
// the email can register again; then the job removes everything, and a
// scan of the data directory (the SQLite file, its WAL, the stored
// objects) finds none of the user's strings. A server killed mid-way
// finishes the erasure after its restart.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, request, checkProblem, until, mapLimit } from './support.mjs';
import { allFiles } from './recording-support.mjs';
import { newInterview, putRecording, waitFor, jsonLines, makeDialog } from './pipeline-support.mjs';

const PASSWORD = 'correct horse battery';
const FAST = ['--checkpoint-interval', '100ms', '--relay-interval', '20ms', '--rate-limit-auth', 'off',
  '--login-limit-email', 'off', '--rate-limit-user', 'off', '--rate-limit-ip', 'off'];

const media = mkdtempSync(join(tmpdir(), 'companion-erasure-'));
after(() => rmSync(media, { recursive: true, force: true }));

async function register(server, email, displayName) {
  const r = await request(server.url, 'POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName } });
  assert.equal(r.status, 201, r.text);
  return { token: r.json.accessToken, refreshToken: r.json.refreshToken, id: r.json.user.id };
}

// Every file under the directory that holds one of the strings.
function scan(dir, strings) {
  const found = [];
  for (const file of allFiles(dir)) {
    const bytes = readFileSync(file);
    for (const s of strings) {
      for (const encoding of ['utf8', 'utf16le']) {
        if (bytes.includes(Buffer.from(s, encoding))) found.push(`${s} (${encoding}) in ${file}`);
      }
    }
  }
  return found;
}

const erasureFinished = (server) => jsonLines(server.lines).some((l) => l.msg === 'erasure finished');

test('erasure refuses every token at once, frees the email, and leaves none of the user\'s strings on disk', { timeout: 180000 }, async () => {
  const dialog = makeDialog(media);
  const server = await startServer({ args: FAST });
  try {
    const tag = `${process.pid}${Date.now()}`;
    const email = `erase-me-${tag}@example.com`;
    const name = `Zebediah Quartermaine ${tag}`;
    const titles = [`Interview at Vexillology Partners ${tag}`, `Second round with Quixotic Labs ${tag}`];
    const user = await register(server, email, name);
    const other = await register(server, `keep-me-${tag}@example.com`, 'Kept Person');
    const ids = [];
    for (const title of titles) ids.push(await newInterview(server.url, user.token, title));
    await request(server.url, 'PATCH', `/v1/interviews/${ids[0]}`, { token: user.token, body: { jobDescription: `Cartography and ${tag} wayfinding` } });
    assert.equal((await putRecording(server.url, user.token, ids[0], readFileSync(dialog))).status, 201);
    await waitFor(server.url, user.token, ids[0], ['completed'], { timeoutMs: 120000 });
    const transcript = await request(server.url, 'GET', `/v1/interviews/${ids[0]}/transcript`, { token: user.token });
    assert.equal(transcript.status, 200, transcript.text);
    const words = [...new Set(transcript.json.segments.flatMap((s) => s.words.map((w) => w.word.toLowerCase())))]
      .filter((w) => w.length >= 6);
    assert.ok(words.length > 0, `no long words in ${transcript.text}`);
    const strings = [email, name, ...titles, `Cartography and ${tag}`];
    assert.ok(scan(server.dataDir, strings).length > 0, 'the scan finds the strings before erasure');
    // Personal fields are sealed with the user's key even before erasure:
    // titles, the job description and the transcript's words (also in the
    // analysis, the notifications and the event log) are nowhere in
    // plaintext. The email is: signing in looks it up.
    await until('the completion notification', async () =>
      (await request(server.url, 'GET', '/v1/notifications', { token: user.token })).json?.items?.length > 0, { timeoutMs: 30000 });
    const sealed = [...titles, `Cartography and ${tag}`, ...words].filter((s) => !/^(interview|question|answer)$/.test(s));
    assert.deepEqual(scan(server.dataDir, sealed), [], 'personal fields stored in plaintext');
    assert.ok(scan(server.dataDir, [email]).length > 0, 'the scan finds the email');

    // An export of theirs, stored sealed, goes with everything else.
    const exp = await request(server.url, 'POST', '/v1/me/exports', { token: user.token });
    assert.equal(exp.status, 202, exp.text);
    await until('the export to be ready', async () =>
      (await request(server.url, 'GET', `/v1/me/exports/${exp.json.id}`, { token: user.token })).json?.status === 'ready', { timeoutMs: 30000 });
    assert.ok(allFiles(join(server.dataDir, 'blobs')).length >= 2, 'the recording and the export are stored');

    checkProblem(assert, await request(server.url, 'DELETE', '/v1/me', { token: user.token, body: { password: 'wrong password' } }), 403);
    checkProblem(assert, await request(server.url, 'DELETE', '/v1/me', { token: user.token, body: {} }), 400);
    assert.equal((await request(server.url, 'GET', '/v1/me', { token: user.token })).status, 200, 'refused requests erase nothing');

    const r = await request(server.url, 'DELETE', '/v1/me', { token: user.token, body: { password: PASSWORD } });
    assert.equal(r.status, 202, r.text);
    checkProblem(assert, await request(server.url, 'GET', '/v1/me', { token: user.token }), 401, 'the access token after erasure');
    checkProblem(assert, await request(server.url, 'GET', `/v1/interviews/${ids[0]}`, { token: user.token }), 401);
    checkProblem(assert, await request(server.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } }), 401);
    checkProblem(assert, await request(server.url, 'POST', '/v1/auth/login', { body: { email, password: PASSWORD } }), 401);

    await until('the erasure job to finish', () => erasureFinished(server), { timeoutMs: 30000 });
    const found = scan(server.dataDir, [...strings, ...words.map((w) => `${w}`)].filter((s) => !/^(interview|question|answer)$/.test(s)));
    assert.deepEqual(found, [], 'strings of the erased user remain');
    assert.deepEqual(allFiles(join(server.dataDir, 'blobs')), [], 'stored objects of the erased user remain');
    // Other users are untouched.
    assert.equal((await request(server.url, 'GET', '/v1/me', { token: other.token })).status, 200);

    // The audit trail keeps the erasure, naming the user only by a hash.
    const audit = await request(server.url, 'GET', '/v1/me/audit', { token: other.token });
    assert.ok(!audit.text.includes(user.id));

    // The email is free again: a new account, with nothing of the old one.
    const again = await register(server, email, 'New Person');
    assert.notEqual(again.id, user.id);
    const list = await request(server.url, 'GET', '/v1/interviews', { token: again.token });
    assert.deepEqual(list.json.items, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('an erasure cut short by kill -9 finishes after the restart', { timeout: 120000 }, async (t) => {
  const first = await startServer({ args: FAST });
  const dataDir = first.dataDir;
  let second;
  try {
    const tag = `${process.pid}${Date.now()}`;
    const user = await register(first, `killed-${tag}@example.com`, `Killed Midway ${tag}`);
    await mapLimit([...Array(300).keys()], 8, (i) => newInterview(first.url, user.token, `Killed interview ${i} ${tag}`));
    const r = await request(first.url, 'DELETE', '/v1/me', { token: user.token, body: { password: PASSWORD } });
    assert.equal(r.status, 202, r.text);
    first.child.kill('SIGKILL');
    await first.exited;
    const cut = !erasureFinished(first);
    second = await startServer({ args: FAST, dataDir });
    await until('the erasure job to finish after the restart', () => erasureFinished(second) || !cut, { timeoutMs: 60000 });
    const pending = execFileSync('python3', ['-c', `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT COUNT(*) FROM erasures WHERE completed_at IS NULL").fetchone()[0],
      c.execute("SELECT COUNT(*) FROM interviews").fetchone()[0],
      c.execute("SELECT COUNT(*) FROM users").fetchone()[0],
      c.execute("SELECT COUNT(*) FROM erasures WHERE user_id IS NULL").fetchone()[0])
`, join(dataDir, 'companion.db')], { encoding: 'utf8' }).trim();
    assert.equal(pending, '0 0 0 1', 'pending erasures, interviews, users, tombstones');
    assert.deepEqual(scan(dataDir, [tag]), []);
    t.diagnostic(`the first server was killed ${cut ? 'before' : 'after'} the job finished`);
  } finally {
    if (second) await second.stop();
    else await first.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
