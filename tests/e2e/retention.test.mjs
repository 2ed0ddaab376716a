// Retention and consent: withdrawing consent removes a recording at once
// (the transcript and analysis stay); `retention run --as-of` removes
// recordings and transcripts past each user's retention, capped by the
// operator's maximum; the interview shows what went, and the audit trail
// records it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY, startServer, request, registerUser, checkProblem } from './support.mjs';
import { allFiles } from './recording-support.mjs';
import { newInterview, putRecording, waitFor, getInterview, makeDialog } from './pipeline-support.mjs';

const OPEN = ['--rate-limit-auth', 'off', '--login-limit-email', 'off', '--checkpoint-interval', '100ms', '--relay-interval', '20ms'];
const media = mkdtempSync(join(tmpdir(), 'companion-retention-'));
after(() => rmSync(media, { recursive: true, force: true }));
const DAY = 24 * 3600 * 1000;

const blobs = (dataDir) => allFiles(join(dataDir, 'blobs'));

test('withdrawing consent removes the recording and its stored objects; the rest stays', { timeout: 120000 }, async () => {
  const dialog = makeDialog(media);
  const server = await startServer({ args: OPEN });
  try {
    const user = await registerUser(server.url, 'consent');
    const stranger = await registerUser(server.url, 'stranger');
    const id = await newInterview(server.url, user.token, 'Consent test');
    assert.equal((await putRecording(server.url, user.token, id, readFileSync(dialog))).status, 201);
    await waitFor(server.url, user.token, id, ['completed'], { timeoutMs: 90000 });
    assert.ok(blobs(server.dataDir).length > 0);

    checkProblem(assert, await request(server.url, 'DELETE', `/v1/interviews/${id}/recording`, { token: stranger.token }), 404, "another user's interview");
    checkProblem(assert, await request(server.url, 'DELETE', '/v1/interviews/nope/recording', { token: user.token }), 404);
    const r = await request(server.url, 'DELETE', `/v1/interviews/${id}/recording`, { token: user.token });
    assert.equal(r.status, 204, r.text);
    const after = await getInterview(server.url, user.token, id);
    assert.equal(after.recording, null);
    assert.equal(after.status, 'completed');
    assert.equal(after.purged.recording.reason, 'consent-withdrawn');
    assert.match(after.purged.recording.at, /^\d{4}-/);
    assert.equal((await request(server.url, 'GET', `/v1/interviews/${id}/recording`, { token: user.token })).status, 404);
    assert.equal((await request(server.url, 'GET', `/v1/interviews/${id}/transcript`, { token: user.token })).status, 200, 'the transcript stays');
    assert.equal((await request(server.url, 'GET', `/v1/interviews/${id}/analysis`, { token: user.token })).status, 200, 'the analysis stays');
    assert.deepEqual(blobs(server.dataDir), [], 'stored objects remain');
    checkProblem(assert, await request(server.url, 'DELETE', `/v1/interviews/${id}/recording`, { token: user.token }), 404, 'a second withdrawal');
    const audit = await request(server.url, 'GET', '/v1/me/audit', { token: user.token });
    assert.equal(audit.json.items[0].action, 'consent.withdrawn');
    assert.equal(audit.json.items[0].detail.interviewId, id);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

function retentionRun(dataDir, asOfMs, extra = []) {
  const r = spawnSync(BINARY, ['retention', 'run', '--as-of', new Date(asOfMs).toISOString(), '--data-dir', dataDir,
    '--log-level', 'error', ...extra], { encoding: 'utf8', timeout: 60000, env: { PATH: process.env.PATH } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

test('retention run --as-of removes what is past each user\'s retention, capped by the operator', { timeout: 180000 }, async () => {
  const dialog = makeDialog(media);
  const MAX = ['--retention-max-days', '100'];
  let server = await startServer({ args: [...OPEN, ...MAX] });
  const dataDir = server.dataDir;
  const start = Date.now();
  let short, keeper, shortId, keeperId;
  try {
    short = await registerUser(server.url, 'short');
    keeper = await registerUser(server.url, 'keeper');
    const set = await request(server.url, 'PATCH', '/v1/me', { token: short.token, body: { retention: { recordingDays: 30, transcriptDays: 60 } } });
    assert.equal(set.status, 200, set.text);
    shortId = await newInterview(server.url, short.token, 'Short-lived');
    keeperId = await newInterview(server.url, keeper.token, 'Kept');
    for (const [u, id] of [[short, shortId], [keeper, keeperId]]) {
      assert.equal((await putRecording(server.url, u.token, id, readFileSync(dialog))).status, 201);
      await waitFor(server.url, u.token, id, ['completed'], { timeoutMs: 90000 });
    }
  } finally {
    await server.stop();
  }
  try {
    assert.deepEqual(retentionRun(dataDir, start + 29 * DAY, MAX), { asOf: new Date(start + 29 * DAY).toISOString(), recordings: 0, transcripts: 0 });
    assert.deepEqual(retentionRun(dataDir, start + 31 * DAY, MAX).recordings, 1);
    const second = retentionRun(dataDir, start + 61 * DAY, MAX);
    assert.deepEqual([second.recordings, second.transcripts], [0, 1]);
    // Nothing more until the operator's ceiling reaches the keeper.
    assert.deepEqual(retentionRun(dataDir, start + 99 * DAY, MAX).recordings, 0);
    // Without the ceiling the keeper keeps everything...
    assert.deepEqual(retentionRun(dataDir, start + 1000 * DAY).recordings, 0);
    // ...with it, the keeper's data goes after 100 days.
    const capped = retentionRun(dataDir, start + 101 * DAY, MAX);
    assert.deepEqual([capped.recordings, capped.transcripts], [1, 1]);

    server = await startServer({ args: OPEN, dataDir });
    const gone = await getInterview(server.url, short.token, shortId);
    assert.equal(gone.recording, null);
    assert.equal(gone.purged.recording.reason, 'retention');
    assert.equal(gone.purged.transcript.reason, 'retention');
    assert.equal((await request(server.url, 'GET', `/v1/interviews/${shortId}/transcript`, { token: short.token })).status, 404);
    assert.equal((await request(server.url, 'GET', `/v1/interviews/${shortId}/analysis`, { token: short.token })).status, 404);
    assert.equal((await getInterview(server.url, keeper.token, keeperId)).purged.transcript.reason, 'retention');
    assert.deepEqual(blobs(dataDir), [], 'stored objects remain');
    const audit = await request(server.url, 'GET', '/v1/me/audit', { token: short.token });
    const purges = audit.json.items.filter((e) => e.action === 'retention.purged').map((e) => e.detail.removed).sort();
    assert.deepEqual(purges, ['recording', 'transcript']);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
