// Recordings through the real binary: PUT /v1/interviews/{id}/recording
// streams, encrypts and probes; GET plays back with ranges. On SQLite and
// PostgreSQL with the filesystem store, and on the S3 store (s3rver).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, request, registerUser } from './support.mjs';
import { testMedia, sha, storageSetups, getBytes, allFiles } from './recording-support.mjs';

const file = testMedia();

function put(base, token, id, body, { type = 'audio/wav', consent = 'all-parties', headers = {} } = {}) {
  const h = { ...headers };
  if (consent) h['Recording-Consent'] = consent;
  return request(base, 'PUT', `/v1/interviews/${id}/recording`, { token, rawBody: body, contentType: type, headers: h });
}

const setups = storageSetups();

for (const setup of setups) {
  describe(setup.name, () => {
    let server, user, other;
    before(async () => {
      server = await startServer({ database: setup.database, args: setup.args, env: setup.env });
      user = await registerUser(server.url, 'rec');
      other = await registerUser(server.url, 'other');
    });
    after(async () => { await server.stop(); server.cleanup(); });

    const newInterview = async (token = user.token) => {
      const r = await request(server.url, 'POST', '/v1/interviews', { token, body: { title: 'Recorded' } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.recording, null);
      return r.json.id;
    };

    test('a wav goes in, is described, and comes back byte for byte, whole and by range', async () => {
      const id = await newInterview();
      const wav = file('speech.wav');
      const r = await put(server.url, user.token, id, wav, { headers: { 'Recording-Filename': 'speech.wav' } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.status, 'uploaded');
      const rec = r.json.recording;
      assert.equal(rec.sizeBytes, wav.length);
      assert.equal(rec.container, 'wav');
      assert.equal(rec.channels, 2);
      assert.equal(rec.consent, 'all-parties');
      assert.equal(rec.filename, 'speech.wav');
      assert.ok(Math.abs(rec.durationSeconds - 3) < 0.1, `duration ${rec.durationSeconds}`);
      assert.ok(rec.mimeType.startsWith('audio/'));
      const got = await request(server.url, 'GET', `/v1/interviews/${id}`, { token: user.token });
      assert.deepEqual(got.json.recording, rec);

      const whole = await getBytes(server.url, user.token, id);
      assert.equal(whole.status, 200);
      assert.equal(whole.headers['accept-ranges'], 'bytes');
      assert.equal(whole.headers['content-type'], rec.mimeType);
      assert.equal(sha(whole.body), sha(wav));

      const part = await getBytes(server.url, user.token, id, { Range: 'bytes=70000-200000' });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 70000-200000/${wav.length}`);
      assert.ok(part.body.equals(wav.subarray(70000, 200001)));
      const suffix = await getBytes(server.url, user.token, id, { Range: 'bytes=-1000' });
      assert.equal(suffix.status, 206);
      assert.ok(suffix.body.equals(wav.subarray(wav.length - 1000)));
      const beyond = await getBytes(server.url, user.token, id, { Range: `bytes=${wav.length}-` });
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers['content-range'], `bytes */${wav.length}`);
      // HEAD has the headers without the body.
      const head = await request(server.url, 'HEAD', `/v1/interviews/${id}/recording`, { token: user.token });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(wav.length));
    });

    test('common formats are accepted and described', async () => {
      for (const [name, type, container, codec] of [
        ['speech.mp3', 'audio/mpeg', 'mp3', 'mp3'],
        ['speech.m4a', 'audio/mp4', 'mp4', 'aac'],
        ['speech.ogg', 'audio/ogg', 'ogg', 'opus'],
        ['speech.webm', 'audio/webm', 'webm', 'opus'],
        ['speech.flac', 'audio/flac', 'flac', 'flac'],
        ['interview.mp4', 'video/mp4', 'mp4', 'aac'],
      ]) {
        const id = await newInterview();
        const r = await put(server.url, user.token, id, file(name), { type });
        assert.equal(r.status, 201, `${name}: ${r.text}`);
        assert.equal(r.json.recording.container, container, name);
        assert.equal(r.json.recording.codec, codec, name);
      }
    });

    test('bad recordings are refused with a reason, and nothing is kept', async () => {
      const id = await newInterview();
      for (const [name, status, pattern] of [
        ['not-audio.mp3', 415, /not a recognised audio or video format/],
        ['truncated.m4a', 422, /truncated or corrupt/],
        ['video-only.mp4', 422, /no audio stream/],
        ['empty.m4a', 422, /empty/],
      ]) {
        const r = await put(server.url, user.token, id, file(name), { type: 'audio/mpeg' });
        assert.equal(r.status, status, `${name}: ${r.text}`);
        assert.equal(r.headers['content-type'], 'application/problem+json');
        assert.match(r.json.detail, pattern, name);
        // The interview has no recording: it shows why the file was refused.
        const after = await request(server.url, 'GET', `/v1/interviews/${id}`, { token: user.token });
        assert.equal(after.json.status, 'failed', `${name} left status ${after.json.status}`);
        assert.equal(after.json.failure.stage, 'upload');
        assert.equal(after.json.failure.reason, r.json.detail);
        assert.equal(after.json.recording, null);
      }
      assert.equal((await getBytes(server.url, user.token, id)).status, 404);
    });

    test('a new recording replaces the old one only when it is stored', async () => {
      const id = await newInterview();
      assert.equal((await put(server.url, user.token, id, file('speech.mp3'), { type: 'audio/mpeg' })).status, 201);
      assert.equal((await put(server.url, user.token, id, file('truncated.m4a'), { type: 'audio/mp4' })).status, 422);
      const kept = await request(server.url, 'GET', `/v1/interviews/${id}`, { token: user.token });
      assert.equal(kept.json.status, 'uploaded', 'the earlier recording still stands');
      assert.equal(kept.json.failure, null);
      assert.equal(sha((await getBytes(server.url, user.token, id)).body), sha(file('speech.mp3')));
      const r = await put(server.url, user.token, id, file('speech.ogg'), { type: 'audio/ogg', consent: 'self-only' });
      assert.equal(r.status, 201);
      assert.equal(r.json.recording.consent, 'self-only');
      assert.equal(sha((await getBytes(server.url, user.token, id)).body), sha(file('speech.ogg')));
    });

    test('consent, media type, ownership', async () => {
      const id = await newInterview();
      const noConsent = await put(server.url, user.token, id, file('speech.mp3'), { consent: null });
      assert.equal(noConsent.status, 400);
      assert.ok(noConsent.json.errors.some((e) => e.field === 'Recording-Consent'));
      assert.equal((await put(server.url, user.token, id, file('speech.mp3'), { consent: 'maybe' })).status, 400);
      assert.equal((await put(server.url, user.token, id, file('speech.mp3'), { type: 'text/plain' })).status, 415);
      const badName = await put(server.url, user.token, id, file('speech.mp3'), { headers: { 'Recording-Filename': 'caf\xe9.mp3' } });
      assert.equal(badName.status, 400, badName.text);
      assert.ok(badName.json.errors.some((e) => e.field === 'Recording-Filename'));
      assert.equal((await put(server.url, other.token, id, file('speech.mp3'))).status, 404);
      assert.equal((await put(server.url, user.token, 'not-a-uuid', file('speech.mp3'))).status, 404);
      assert.equal((await put(server.url, user.token, id, file('speech.mp3'), { type: 'audio/mpeg' })).status, 201);
      assert.equal((await getBytes(server.url, other.token, id)).status, 404);
      assert.equal((await put(server.url, undefined, id, file('speech.mp3'))).status, 401);
    });

    if (setup.fs) {
      test('what is stored on disk is encrypted', async () => {
        const id = await newInterview();
        const wav = file('speech-6ch.wav');
        assert.equal((await put(server.url, user.token, id, wav)).status, 201);
        const needle = wav.subarray(500000, 500064);
        const blobs = allFiles(join(server.dataDir, 'blobs'));
        assert.ok(blobs.length > 0);
        for (const p of blobs) assert.equal(readFileSync(p).indexOf(needle), -1, `${p} holds plaintext`);
      });
    }
  });
}
