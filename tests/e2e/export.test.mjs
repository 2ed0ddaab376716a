// Exports: POST /v1/me/exports builds one zip of everything of the user;
// its manifest names every other file with its SHA-256 and size, the
// recording comes out decrypted and byte-identical, the archive is sealed
// at rest (no plaintext in storage), the user is notified, and nobody else
// can read it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { startServer, request, registerUser, checkProblem, until } from './support.mjs';
import { allFiles } from './recording-support.mjs';
import { newInterview, putRecording, waitFor, makeDialog } from './pipeline-support.mjs';

const media = mkdtempSync(join(tmpdir(), 'companion-export-'));
after(() => rmSync(media, { recursive: true, force: true }));

function download(base, token, path) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { headers: { Authorization: `Bearer ${token}` }, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

// The archive's files as {name: {bytes, sha256}}, read by Python's zipfile.
function unzip(file) {
  const out = execFileSync('python3', ['-c', `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({i.filename: {"bytes": i.file_size, "sha256": hashlib.sha256(z.read(i)).hexdigest()} for i in z.infolist()}))
`, file], { encoding: 'utf8' });
  return JSON.parse(out);
}
const member = (file, name) => execFileSync('python3', ['-c', 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))', file, name]);

test('an export holds everything of the user, verified against its manifest', { timeout: 180000 }, async () => {
  const dialog = makeDialog(media);
  const recording = readFileSync(dialog);
  const server = await startServer({ args: ['--checkpoint-interval', '100ms', '--relay-interval', '20ms'] });
  try {
    const user = await registerUser(server.url, 'exporter');
    const stranger = await registerUser(server.url, 'stranger');
    const id = await newInterview(server.url, user.token, 'Exported interview');
    const empty = await newInterview(server.url, user.token, 'Nothing uploaded');
    assert.equal((await putRecording(server.url, user.token, id, recording)).status, 201);
    await waitFor(server.url, user.token, id, ['completed'], { timeoutMs: 90000 });

    const started = await request(server.url, 'POST', '/v1/me/exports', { token: user.token });
    assert.equal(started.status, 202, started.text);
    assert.equal(started.json.status, 'pending');
    assert.equal(Date.parse(started.json.expiresAt) - Date.parse(started.json.createdAt), 24 * 3600 * 1000);
    const again = await request(server.url, 'POST', '/v1/me/exports', { token: user.token });
    const exportId = started.json.id;
    assert.ok(again.json.id === exportId || again.json.status === 'pending', 'at most one is built at a time');

    checkProblem(assert, await request(server.url, 'GET', `/v1/me/exports/${exportId}`, { token: stranger.token }), 404, "another user's export");
    checkProblem(assert, await request(server.url, 'GET', '/v1/me/exports/not-an-id', { token: user.token }), 404);
    let state;
    await until('the export to be ready', async () => {
      state = (await request(server.url, 'GET', `/v1/me/exports/${exportId}`, { token: user.token })).json;
      return state.status !== 'pending';
    }, { timeoutMs: 60000 });
    assert.equal(state.status, 'ready');
    const notes = await request(server.url, 'GET', '/v1/notifications', { token: user.token });
    assert.ok(notes.json.items.some((n) => n.type === 'export.ready'), notes.text);

    assert.equal((await download(server.url, stranger.token, `/v1/me/exports/${exportId}/archive`)).status, 404);
    const res = await download(server.url, user.token, `/v1/me/exports/${exportId}/archive`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/zip');
    assert.match(res.headers['content-disposition'], /attachment; filename="interview-companion-export-\d{4}-\d\d-\d\d\.zip"/);
    const file = join(media, 'export.zip');
    writeFileSync(file, res.body);
    const files = unzip(file);
    const manifest = JSON.parse(member(file, 'manifest.json'));
    const listed = Object.fromEntries(manifest.files.map((f) => [f.path, { bytes: f.bytes, sha256: f.sha256 }]));
    const { 'manifest.json': _, ...others } = files;
    assert.deepEqual(listed, others, 'the manifest lists every other file with its size and digest');
    for (const name of ['profile.json', 'interviews.json', 'consents.json', 'notifications.json', 'audit.json',
      `interviews/${id}/transcript.json`, `interviews/${id}/transcript.vtt`, `interviews/${id}/analysis.json`,
      `interviews/${id}/recording.wav`]) {
      assert.ok(files[name], `${name} is missing: ${Object.keys(files).join(', ')}`);
    }
    assert.ok(!Object.keys(files).some((n) => n.startsWith(`interviews/${empty}/`)), 'nothing for an empty interview');
    assert.ok(member(file, `interviews/${id}/recording.wav`).equals(recording), 'the recording comes out as uploaded');
    assert.match(member(file, `interviews/${id}/transcript.vtt`).toString(), /^WEBVTT/);
    assert.equal(JSON.parse(member(file, 'profile.json')).email, user.email);
    assert.deepEqual(JSON.parse(member(file, 'interviews.json')).map((i) => i.title).sort(), ['Exported interview', 'Nothing uploaded']);
    const consents = JSON.parse(member(file, 'consents.json'));
    assert.equal(consents.length, 1);
    assert.equal(consents[0].scope, 'all-parties');
    assert.ok(JSON.parse(member(file, 'audit.json')).some((e) => e.action === 'export.requested'));

    // At rest the archive is sealed: no file name or profile text in storage.
    for (const f of allFiles(join(server.dataDir, 'blobs'))) {
      const bytes = readFileSync(f);
      assert.ok(!bytes.includes(Buffer.from('manifest.json')) && !bytes.includes(Buffer.from(user.email)), `plaintext in ${f}`);
    }
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('an export expires after --export-ttl: refused, and its stored object removed', { timeout: 60000 }, async () => {
  const server = await startServer({ args: ['--export-ttl', '2s'] });
  try {
    const user = await registerUser(server.url, 'expiring');
    const started = await request(server.url, 'POST', '/v1/me/exports', { token: user.token });
    assert.equal(started.status, 202, started.text);
    const path = `/v1/me/exports/${started.json.id}`;
    await until('the export to be ready', async () => (await request(server.url, 'GET', path, { token: user.token })).json?.status === 'ready', { timeoutMs: 20000 });
    assert.equal((await download(server.url, user.token, `${path}/archive`)).status, 200);
    assert.ok(allFiles(join(server.dataDir, 'blobs')).length > 0);
    await until('the export to expire and its object to go', async () =>
      (await request(server.url, 'GET', path, { token: user.token })).status === 404 &&
      allFiles(join(server.dataDir, 'blobs')).length === 0, { timeoutMs: 20000, intervalMs: 200 });
    assert.equal((await download(server.url, user.token, `${path}/archive`)).status, 404);
  } finally {
    await server.stop();
    server.cleanup();
  }
});
