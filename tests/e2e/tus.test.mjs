// Resumable uploads (tus 1.0.0) through the real binary: the official
// client (tus-js-client) uploads whole files, small chunks, interrupted and
// resumed uploads, one resumed after kill -9; then every extension and error
// case with raw requests. On SQLite and PostgreSQL (filesystem store) and on
// the S3 store (s3rver).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { startServer, request, registerUser, createPgDatabase, until } from './support.mjs';
import { ROOT, testMedia, sha, storageSetups, getBytes, allFiles } from './recording-support.mjs';

const tus = createRequire(join(ROOT, 'tests/tools/package.json'))('tus-js-client');
const file = testMedia();
const TUS = { 'Tus-Resumable': '1.0.0' };
const OFFSET_STREAM = 'application/offset+octet-stream';

const b64 = (s) => Buffer.from(s).toString('base64');
const metadata = (fields) => Object.entries(fields).map(([k, v]) => `${k} ${b64(v)}`).join(',');
const digest = (alg, data) => createHash(alg).update(data).digest('base64');

// Runs one tus-js-client upload to the end, or until `stopAfter` bytes were
// acknowledged (then it is aborted and its URL returned).
function clientUpload(base, token, data, { stopAfter, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: new URL('/v1/uploads', base).href,
      headers: { Authorization: `Bearer ${token}` },
      retryDelays: [0, 50, 200, 500, 1000],
      ...options,
      onError: reject,
      onSuccess: () => resolve({ done: true, url: upload.url }),
      onChunkComplete: (_size, accepted) => {
        if (stopAfter !== undefined && accepted >= stopAfter) {
          upload.abort(false).then(() => resolve({ done: false, url: upload.url, accepted }), reject);
        }
      },
    });
    upload.start();
  });
}

// The path part of an upload URL.
const pathOf = (url) => new URL(url, 'http://x').pathname;

// A PATCH whose body is sent in two steps: `first` now, the rest (or an
// abrupt end) when the caller says so.
function heldPatch(base, token, path, { offset, total, first }) {
  const url = new URL(path, base);
  const socket = net.connect(Number(url.port), url.hostname);
  let response = '';
  const answered = new Promise((resolve) => {
    socket.on('data', (d) => { response += d; });
    socket.on('close', () => resolve(response));
    socket.on('error', () => {});
  });
  socket.write(
    `PATCH ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n` +
      `Tus-Resumable: 1.0.0\r\nContent-Type: ${OFFSET_STREAM}\r\nUpload-Offset: ${offset}\r\n` +
      `Content-Length: ${total}\r\nConnection: close\r\n\r\n`,
  );
  socket.write(first);
  return {
    finish: (rest) => { socket.end(rest); return answered; },
    cut: () => { socket.end(); return answered; },
    kill: () => socket.destroy(),
  };
}

for (const setup of storageSetups()) {
  describe(setup.name, () => {
    let server, user, other, dbUrl;
    // The main server keeps its database across a restart; `fresh` gets a
    // server of its own (its own database and store directory).
    const start = (extra = {}) =>
      startServer({
        database: setup.database,
        args: [...setup.args, ...(extra.args ?? [])],
        env: { ...setup.env, ...(dbUrl && !extra.fresh ? { IC_DATABASE_URL: dbUrl } : {}) },
        dataDir: extra.dataDir,
      });
    before(async () => {
      if (setup.database === 'postgresql') dbUrl = createPgDatabase();
      server = await start({ args: ['--upload-sweep-interval', '100ms'] });
      user = await registerUser(server.url, 'tus');
      other = await registerUser(server.url, 'other');
    });
    after(async () => { await server.stop(); server.cleanup(); });

    const newInterview = async (token = user.token) => {
      const r = await request(server.url, 'POST', '/v1/interviews', { token, body: { title: 'Recorded' } });
      assert.equal(r.status, 201, r.text);
      return r.json.id;
    };
    const interview = async (id) => (await request(server.url, 'GET', `/v1/interviews/${id}`, { token: user.token })).json;
    const meta = (id, extra = {}) => ({ interviewId: id, consent: 'all-parties', filename: 'speech.wav', filetype: 'audio/wav', ...extra });
    const create = (headers, token = user.token, rawBody, contentType) =>
      request(server.url, 'POST', '/v1/uploads', { token, headers: { ...TUS, ...headers }, rawBody, contentType });
    const head = (path, token = user.token) => request(server.url, 'HEAD', path, { token, headers: TUS });
    const patch = (path, offset, body, headers = {}, token = user.token) =>
      request(server.url, 'PATCH', path, {
        token, rawBody: body, contentType: OFFSET_STREAM, headers: { ...TUS, 'Upload-Offset': String(offset), ...headers },
      });
    const newUpload = async (id, length, extra = {}) => {
      const r = await create({ 'Upload-Length': String(length), 'Upload-Metadata': metadata(meta(id, extra)) });
      assert.equal(r.status, 201, r.text);
      return r.headers.location;
    };
    const expectPlayback = async (id, data) => {
      const got = await getBytes(server.url, user.token, id);
      assert.equal(got.status, 200);
      assert.equal(sha(got.body), sha(data));
    };

    describe('tus-js-client', () => {
      test('uploads a whole file in one request', async () => {
        const id = await newInterview();
        const wav = file('speech.wav');
        const r = await clientUpload(server.url, user.token, wav, { metadata: meta(id) });
        assert.ok(r.done);
        const i = await interview(id);
        assert.equal(i.status, 'uploaded');
        assert.equal(i.recording.sizeBytes, wav.length);
        assert.equal(i.recording.consent, 'all-parties');
        assert.equal(i.recording.filename, 'speech.wav');
        await expectPlayback(id, wav);
      });

      test('uploads a file in small chunks, the first with the creation', async () => {
        const id = await newInterview();
        const data = file('speech-6ch.wav');
        const r = await clientUpload(server.url, user.token, data, {
          metadata: meta(id), chunkSize: 64 * 1024, uploadDataDuringCreation: true,
        });
        assert.ok(r.done);
        await expectPlayback(id, data);
        const range = await getBytes(server.url, user.token, id, { Range: 'bytes=65000-200000' });
        assert.equal(range.status, 206);
        assert.ok(range.body.equals(data.subarray(65000, 200001)));
      });

      test('an interrupted upload resumes from the server offset', async () => {
        const id = await newInterview();
        const data = file('speech-6ch.wav');
        const first = await clientUpload(server.url, user.token, data, { metadata: meta(id), chunkSize: 256 * 1024, stopAfter: 512 * 1024 });
        assert.equal(first.done, false);
        const h = await head(pathOf(first.url));
        assert.equal(h.status, 200);
        assert.equal(Number(h.headers['upload-offset']), first.accepted);
        assert.equal((await interview(id)).status, 'uploading');
        const rest = await clientUpload(server.url, user.token, data, { metadata: meta(id), chunkSize: 256 * 1024, uploadUrl: first.url });
        assert.ok(rest.done);
        assert.equal(rest.url, first.url);
        await expectPlayback(id, data);
      });

      test('parallel uploads are joined by concatenation', async () => {
        const id = await newInterview();
        const data = file('speech-6ch.wav');
        const r = await clientUpload(server.url, user.token, data, { metadata: meta(id), parallelUploads: 3 });
        assert.ok(r.done);
        await expectPlayback(id, data);
      });

      test('an upload resumes after the server was killed with kill -9', async () => {
        const id = await newInterview();
        const data = file('speech-6ch.wav');
        const first = await clientUpload(server.url, user.token, data, { metadata: meta(id), chunkSize: 128 * 1024, stopAfter: 256 * 1024 });
        const path = pathOf(first.url);
        // A chunk is on its way when the server dies: it is not acknowledged.
        const held = heldPatch(server.url, user.token, path, { offset: first.accepted, total: 100000, first: data.subarray(first.accepted, first.accepted + 50000) });
        await server.stop('SIGKILL');
        held.kill();
        server = await start({ dataDir: server.dataDir, args: ['--upload-sweep-interval', '100ms'] });
        const h = await head(path);
        assert.equal(h.status, 200, h.text);
        assert.equal(Number(h.headers['upload-offset']), first.accepted);
        const rest = await clientUpload(server.url, user.token, data, { metadata: meta(id), chunkSize: 128 * 1024, uploadUrl: new URL(path, server.url).href });
        assert.ok(rest.done);
        await expectPlayback(id, data);
      });
    });

    describe('protocol', () => {
      test('OPTIONS says what the server supports, without a token', async () => {
        const r = await request(server.url, 'OPTIONS', '/v1/uploads');
        assert.equal(r.status, 204);
        assert.equal(r.headers['tus-version'], '1.0.0');
        assert.equal(r.headers['tus-resumable'], '1.0.0');
        assert.equal(r.headers['tus-max-size'], String(4 * 1024 ** 3));
        assert.deepEqual(r.headers['tus-checksum-algorithm'].split(','), ['sha1', 'sha256', 'md5']);
        for (const ext of ['creation', 'creation-with-upload', 'creation-defer-length', 'expiration', 'checksum', 'termination', 'concatenation'])
          assert.ok(r.headers['tus-extension'].split(',').includes(ext), ext);
      });

      test('every response carries Tus-Resumable; a missing or other version is 412', async () => {
        const noToken = await request(server.url, 'POST', '/v1/uploads', { headers: TUS });
        assert.equal(noToken.status, 401);
        assert.equal(noToken.headers['tus-resumable'], '1.0.0');
        const missing = await request(server.url, 'POST', '/v1/uploads', { token: user.token, headers: { 'Upload-Length': '10' } });
        assert.equal(missing.status, 412);
        assert.equal(missing.headers['tus-version'], '1.0.0');
        assert.equal(missing.headers['content-type'], 'application/problem+json');
        const old = await request(server.url, 'POST', '/v1/uploads', { token: user.token, headers: { 'Tus-Resumable': '0.2.2', 'Upload-Length': '10' } });
        assert.equal(old.status, 412);
        const unknown = await head(`/v1/uploads/${crypto.randomUUID()}`);
        assert.equal(unknown.status, 404);
        assert.equal(unknown.headers['tus-resumable'], '1.0.0');
      });

      test('creation needs the interview and the consent, and a length within the maximum', async () => {
        const id = await newInterview();
        const none = await create({ 'Upload-Length': '100' });
        assert.equal(none.status, 400);
        assert.deepEqual(none.json.errors.map((e) => e.field).sort(), ['Upload-Metadata.consent', 'Upload-Metadata.interviewId']);
        const badConsent = await create({ 'Upload-Length': '100', 'Upload-Metadata': metadata(meta(id, { consent: 'nobody' })) });
        assert.equal(badConsent.status, 400);
        assert.equal(badConsent.json.errors[0].field, 'Upload-Metadata.consent');
        const notBase64 = await create({ 'Upload-Length': '100', 'Upload-Metadata': 'interviewId !!!' });
        assert.equal(notBase64.status, 400);
        const otherUsers = await create({ 'Upload-Length': '100', 'Upload-Metadata': metadata(meta(await newInterview(other.token))) });
        assert.equal(otherUsers.status, 404);
        const tooBig = await create({ 'Upload-Length': String(5 * 1024 ** 3), 'Upload-Metadata': metadata(meta(id)) });
        assert.equal(tooBig.status, 413);
        const noLength = await create({ 'Upload-Metadata': metadata(meta(id)) });
        assert.equal(noLength.status, 400);
        const badLength = await create({ 'Upload-Length': '-5', 'Upload-Metadata': metadata(meta(id)) });
        assert.equal(badLength.status, 400);
        const ok = await create({ 'Upload-Length': '100', 'Upload-Metadata': metadata(meta(id)) });
        assert.equal(ok.status, 201);
        assert.match(ok.headers.location, /^\/v1\/uploads\/[0-9a-f-]{36}$/);
        assert.ok(Date.parse(ok.headers['upload-expires']) > Date.now());
        assert.equal((await interview(id)).status, 'created', 'no byte has arrived yet');
      });

      test('HEAD describes the upload; chunks must continue at its offset', async () => {
        const id = await newInterview();
        const data = file('speech.wav');
        const path = await newUpload(id, data.length);
        let h = await head(path);
        assert.equal(h.status, 200);
        assert.equal(h.headers['upload-offset'], '0');
        assert.equal(h.headers['upload-length'], String(data.length));
        assert.equal(h.headers['cache-control'], 'no-store');
        assert.equal(h.headers['upload-metadata'], metadata(meta(id)));
        const wrongType = await request(server.url, 'PATCH', path, { token: user.token, rawBody: data.subarray(0, 10), contentType: 'application/octet-stream', headers: { ...TUS, 'Upload-Offset': '0' } });
        assert.equal(wrongType.status, 415);
        const p1 = await patch(path, 0, data.subarray(0, 100000));
        assert.equal(p1.status, 204, p1.text);
        assert.equal(p1.headers['upload-offset'], '100000');
        assert.equal((await interview(id)).status, 'uploading');
        const stale = await patch(path, 0, data.subarray(0, 100000));
        assert.equal(stale.status, 409);
        const pastEnd = await patch(path, 100000, Buffer.concat([data.subarray(100000), Buffer.alloc(10)]));
        assert.equal(pastEnd.status, 413);
        h = await head(path);
        assert.equal(h.headers['upload-offset'], '100000');
        const p2 = await patch(path, 100000, data.subarray(100000));
        assert.equal(p2.status, 204, p2.text);
        assert.equal(p2.headers['upload-offset'], String(data.length));
        assert.equal((await interview(id)).status, 'uploaded');
        await expectPlayback(id, data);
        assert.equal((await head(path)).headers['upload-offset'], String(data.length));
      });

      test('checksums: sha1, sha256 and md5 are verified; a mismatch is 460 and discarded', async () => {
        const id = await newInterview();
        const data = file('speech.wav');
        const path = await newUpload(id, data.length);
        const piece = (a, b) => data.subarray(a, b);
        const bad = await patch(path, 0, piece(0, 100000), { 'Upload-Checksum': `sha1 ${digest('sha1', piece(1, 100001))}` });
        assert.equal(bad.status, 460);
        assert.equal(bad.json.status, 460);
        assert.equal((await head(path)).headers['upload-offset'], '0');
        const unsupported = await patch(path, 0, piece(0, 100), { 'Upload-Checksum': `crc32 ${b64('abcd')}` });
        assert.equal(unsupported.status, 400);
        assert.equal((await patch(path, 0, piece(0, 100000), { 'Upload-Checksum': `sha1 ${digest('sha1', piece(0, 100000))}` })).status, 204);
        assert.equal((await patch(path, 100000, piece(100000, 300000), { 'Upload-Checksum': `sha256 ${digest('sha256', piece(100000, 300000))}` })).status, 204);
        assert.equal((await patch(path, 300000, piece(300000), { 'Upload-Checksum': `md5 ${digest('md5', piece(300000))}` })).status, 204);
        await expectPlayback(id, data);
      });

      test('creation with upload, and a length given later', async () => {
        const id = await newInterview();
        const data = file('speech.mp3');
        const withBody = await create({ 'Upload-Length': String(data.length), 'Upload-Metadata': metadata(meta(id)) }, user.token, data, OFFSET_STREAM);
        assert.equal(withBody.status, 201, withBody.text);
        assert.equal(withBody.headers['upload-offset'], String(data.length));
        assert.equal((await interview(id)).recording.sizeBytes, data.length);

        const id2 = await newInterview();
        const deferred = await create({ 'Upload-Defer-Length': '1', 'Upload-Metadata': metadata(meta(id2)) });
        assert.equal(deferred.status, 201);
        const path = deferred.headers.location;
        assert.equal((await head(path)).headers['upload-defer-length'], '1');
        assert.equal((await patch(path, 0, data.subarray(0, 10000))).status, 204);
        const last = await patch(path, 10000, data.subarray(10000), { 'Upload-Length': String(data.length) });
        assert.equal(last.status, 204, last.text);
        const h = await head(path);
        assert.equal(h.headers['upload-length'], String(data.length));
        assert.equal((await interview(id2)).status, 'uploaded');
        await expectPlayback(id2, data);
        const both = await create({ 'Upload-Defer-Length': '1', 'Upload-Length': '10', 'Upload-Metadata': metadata(meta(id2)) });
        assert.equal(both.status, 400);
      });

      test('a client that stops mid-chunk keeps what arrived', async () => {
        const id = await newInterview();
        const data = file('speech.wav');
        const path = await newUpload(id, data.length);
        const held = heldPatch(server.url, user.token, path, { offset: 0, total: data.length, first: data.subarray(0, 200000) });
        await until('the status to show the upload', async () => (await interview(id)).status === 'uploading');
        // A second writer is refused while the first is streaming.
        const second = await patch(path, 0, data.subarray(0, 1000));
        assert.equal(second.status, 409);
        await held.cut();
        await until('the arrived bytes to count', async () => (await head(path)).headers['upload-offset'] === '200000');
        assert.equal((await patch(path, 200000, data.subarray(200000))).status, 204);
        await expectPlayback(id, data);
      });

      test('termination removes the upload and its bytes', async () => {
        const id = await newInterview();
        const data = file('speech.wav');
        const path = await newUpload(id, data.length);
        assert.equal((await patch(path, 0, data.subarray(0, 100000))).status, 204);
        assert.equal((await request(server.url, 'DELETE', path, { token: other.token, headers: TUS })).status, 404);
        const del = await request(server.url, 'DELETE', path, { token: user.token, headers: TUS });
        assert.equal(del.status, 204);
        assert.equal(del.headers['tus-resumable'], '1.0.0');
        assert.equal((await head(path)).status, 404);
        assert.equal((await patch(path, 100000, data.subarray(100000))).status, 404);
        assert.equal((await interview(id)).status, 'created');
        if (setup.fs) {
          const uploadId = path.split('/').pop();
          await until('the bytes to go', async () => !allFiles(join(server.dataDir, 'blobs')).some((p) => p.includes(uploadId)));
        }
      });

      test("another user's upload does not exist for them", async () => {
        const id = await newInterview();
        const path = await newUpload(id, 1000);
        assert.equal((await head(path, other.token)).status, 404);
        assert.equal((await patch(path, 0, Buffer.alloc(10), {}, other.token)).status, 404);
        assert.equal((await head('/v1/uploads/not-an-id')).status, 404);
      });

      test('concatenation joins finished partial uploads', async () => {
        const id = await newInterview();
        const data = file('speech.wav');
        const cut = 200001;
        const partial = async (piece) => {
          const r = await create({ 'Upload-Concat': 'partial', 'Upload-Length': String(piece.length) });
          assert.equal(r.status, 201, r.text);
          assert.equal((await patch(r.headers.location, 0, piece)).status, 204);
          return r.headers.location;
        };
        const a = await partial(data.subarray(0, cut));
        const unfinished = await create({ 'Upload-Concat': 'partial', 'Upload-Length': '100' });
        assert.equal((await head(a)).headers['upload-concat'], 'partial');
        const refused = await create({ 'Upload-Concat': `final;${a} ${unfinished.headers.location}`, 'Upload-Metadata': metadata(meta(id)) });
        assert.equal(refused.status, 400, refused.text);
        const b = await partial(data.subarray(cut));
        const final = await create({ 'Upload-Concat': `final;${new URL(a, server.url).href} ${b}`, 'Upload-Metadata': metadata(meta(id)) });
        assert.equal(final.status, 201, final.text);
        const h = await head(final.headers.location);
        assert.equal(h.headers['upload-offset'], String(data.length));
        assert.equal(h.headers['upload-concat'], `final;${a} ${b}`);
        assert.equal((await patch(final.headers.location, data.length, Buffer.alloc(1))).status, 403);
        assert.equal((await interview(id)).status, 'uploaded');
        await expectPlayback(id, data);
        // The same request again is a client's retry: it gets the same upload.
        const again = await create({ 'Upload-Concat': `final;${a} ${b}`, 'Upload-Metadata': metadata(meta(id)) });
        assert.equal(again.status, 201, again.text);
        assert.equal(pathOf(again.headers.location), pathOf(final.headers.location));
        assert.equal((await interview(id)).status, 'uploaded');
        const reused = await create({ 'Upload-Concat': `final;${b} ${a}`, 'Upload-Metadata': metadata(meta(id)) });
        assert.equal(reused.status, 400, 'a partial upload is used once');
      });

      test('a file that is not audio is refused at its first chunk; a corrupt one at its last', async () => {
        const id = await newInterview();
        const text = Buffer.alloc(8192, 'this is not audio at all. ');
        const path = await newUpload(id, text.length * 2);
        const r = await patch(path, 0, text);
        assert.equal(r.status, 415);
        assert.match(r.json.detail, /not a recognised audio or video format/);
        assert.equal((await head(path)).status, 404);
        let i = await interview(id);
        assert.equal(i.status, 'failed');
        assert.deepEqual(i.failure, { stage: 'upload', reason: r.json.detail, attempts: 1 });

        const broken = file('truncated.m4a');
        const path2 = await newUpload(id, broken.length);
        const last = await patch(path2, 0, broken);
        assert.equal(last.status, 422);
        assert.match(last.json.detail, /truncated or corrupt/);
        i = await interview(id);
        assert.equal(i.status, 'failed');
        assert.equal(i.failure.reason, last.json.detail);
        assert.equal(i.recording, null);
        // A good file afterwards clears the failure.
        assert.ok((await clientUpload(server.url, user.token, file('speech.mp3'), { metadata: meta(id) })).done);
        i = await interview(id);
        assert.equal(i.status, 'uploaded');
        assert.equal(i.failure, null);
      });

      test('a second upload replaces the recording only when it completes', async () => {
        const id = await newInterview();
        const mp3 = file('speech.mp3');
        assert.ok((await clientUpload(server.url, user.token, mp3, { metadata: meta(id) })).done);
        const broken = file('truncated.m4a');
        const bad = await newUpload(id, broken.length);
        assert.equal((await patch(bad, 0, broken)).status, 422);
        assert.equal((await interview(id)).status, 'uploaded', 'a refused file leaves the recording');
        const ogg = file('speech.ogg');
        const path = await newUpload(id, ogg.length);
        assert.equal((await patch(path, 0, ogg.subarray(0, 10000))).status, 204);
        await expectPlayback(id, mp3);
        assert.equal((await patch(path, 10000, ogg.subarray(10000))).status, 204);
        await expectPlayback(id, ogg);
      });

      test('X-HTTP-Method-Override carries PATCH and DELETE', async () => {
        const id = await newInterview();
        const data = file('speech.mp3');
        const path = await newUpload(id, data.length);
        const r = await request(server.url, 'POST', path, {
          token: user.token, rawBody: data, contentType: OFFSET_STREAM,
          headers: { ...TUS, 'Upload-Offset': '0', 'X-HTTP-Method-Override': 'PATCH' },
        });
        assert.equal(r.status, 204, r.text);
        await expectPlayback(id, data);
        // DELETE through the override: the (unfinished) upload is gone.
        const other = await newUpload(await newInterview(), 10);
        const d = await request(server.url, 'POST', other, {
          token: user.token, headers: { ...TUS, 'X-HTTP-Method-Override': 'DELETE' },
        });
        assert.equal(d.status, 204, d.text);
        assert.equal((await request(server.url, 'HEAD', other, { token: user.token, headers: TUS })).status, 404);
      });

      test('a browser may call from another origin', async () => {
        const pre = await request(server.url, 'OPTIONS', '/v1/uploads/0190a7e0-0000-7000-8000-000000000000', {
          headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'authorization, tus-resumable, upload-offset, content-type' },
        });
        assert.equal(pre.status, 204);
        assert.equal(pre.headers['access-control-allow-origin'], '*');
        assert.ok(pre.headers['access-control-allow-methods'].includes('PATCH'));
        assert.match(pre.headers['access-control-allow-headers'], /upload-offset/);
        const id = await newInterview();
        const r = await request(server.url, 'POST', '/v1/uploads', {
          token: user.token, headers: { ...TUS, Origin: 'https://app.example', 'Upload-Length': '10', 'Upload-Metadata': metadata(meta(id)) },
        });
        assert.equal(r.headers['access-control-allow-origin'], '*');
        for (const h of ['Location', 'Upload-Offset', 'Upload-Expires', 'Tus-Resumable'])
          assert.ok(r.headers['access-control-expose-headers'].includes(h), h);
      });

      test("deleting an interview removes its recording's and uploads' stored bytes", async () => {
        const id = await newInterview();
        const data = file('speech.wav');
        assert.ok((await clientUpload(server.url, user.token, data, { metadata: meta(id), chunkSize: 128 * 1024 })).done);
        const pending = await newUpload(id, data.length);
        assert.equal((await patch(pending, 0, data.subarray(0, 1000))).status, 204);
        assert.equal((await request(server.url, 'DELETE', `/v1/interviews/${id}`, { token: user.token })).status, 204);
        if (setup.fs) {
          const blobs = join(server.dataDir, 'blobs');
          await until('the bytes to go', async () => !allFiles(blobs).some((p) => p.includes(id) || p.includes(pending.split('/').pop())));
        }
      });
    });

    test('expired uploads are swept, with their bytes', async () => {
      const s = await start({ fresh: true, args: ['--upload-expiry', '1s', '--upload-sweep-interval', '50ms'] });
      try {
        const u = await registerUser(s.url, 'expiry');
        const r = await request(s.url, 'POST', '/v1/interviews', { token: u.token, body: { title: 'Expiring' } });
        const id = r.json.id;
        const c = await request(s.url, 'POST', '/v1/uploads', { token: u.token, headers: { ...TUS, 'Upload-Length': '100000', 'Upload-Metadata': metadata(meta(id)) } });
        const path = c.headers.location;
        const expires = Date.parse(c.headers['upload-expires']);
        assert.ok(expires - Date.now() <= 2000, c.headers['upload-expires']);
        const p = await request(s.url, 'PATCH', path, { token: u.token, rawBody: file('speech.wav').subarray(0, 50000), contentType: OFFSET_STREAM, headers: { ...TUS, 'Upload-Offset': '0' } });
        assert.equal(p.status, 204);
        await until('the upload to expire', async () => {
          const h = await request(s.url, 'HEAD', path, { token: u.token, headers: TUS });
          return h.status === 404;
        }, { timeoutMs: 15000 });
        const i = await request(s.url, 'GET', `/v1/interviews/${id}`, { token: u.token });
        assert.equal(i.json.status, 'created');
        if (setup.fs) assert.deepEqual(allFiles(join(s.dataDir, 'blobs')).filter((f) => f.includes(path.split('/').pop())), []);
      } finally {
        await s.stop();
        s.cleanup();
      }
    });
  });
}
