// The pipeline survives crashes (real binaries, kill -9): a worker killed
// mid-transcription resumes after restart and gives the same transcript as
// an uninterrupted run, with no duplicate rows; an event committed but not
// yet published is delivered after a restart; a job that kills its worker
// every time ends `failed` with a readable reason; Redis restarting
// mid-run loses nothing.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, request, registerUser, until } from './support.mjs';
import {
  startRedis, newInterview, putRecording, getInterview, waitFor, repeatWav, makeDialog,
} from './pipeline-support.mjs';

const media = mkdtempSync(join(tmpdir(), 'companion-crash-'));
after(() => rmSync(media, { recursive: true, force: true }));
// About two and a half minutes: long enough to kill mid-way.
const long = readFileSync(repeatWav(media, makeDialog(media), 18, join(media, 'long.wav')));

const FAST = ['--checkpoint-interval', '100ms', '--job-backoff', '100ms', '--relay-interval', '20ms',
  '--job-lease', '1s'];

const sql = (dataDir, query) =>
  execFileSync('sqlite3', [join(dataDir, 'companion.db'), query], { encoding: 'utf8' }).trim();

async function transcriptOf(server, token, id) {
  const r = await request(server.url, 'GET', `/v1/interviews/${id}/transcript`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// Waits until the interview's transcription has reported progress of at
// least `percent` since `since` (ms epoch): this process is working on it.
async function progressed(server, token, id, percent, since = 0) {
  await until(`progress ${percent}% on ${id}`, async () => {
    const i = await getInterview(server.url, token, id);
    return i.status === 'transcribing' && i.progress && i.progress.percent >= percent &&
      Date.parse(i.progress.updatedAt) > since;
  }, { timeoutMs: 90000, intervalMs: 25 });
}

describe('crashes', () => {
  test('kill -9 mid-transcription: after restart the same transcript, no duplicates', async () => {
    let server = await startServer({ args: FAST });
    const { dataDir } = server;
    try {
      const user = await registerUser(server.url, 'crash');
      const killed = await newInterview(server.url, user.token, 'killed');
      assert.equal((await putRecording(server.url, user.token, killed, long)).status, 201);
      await progressed(server, user.token, killed, 25);
      await server.stop('SIGKILL');
      const saved = Number(sql(dataDir, 'SELECT COUNT(*) FROM transcript_checkpoints'));
      assert.ok(saved > 0, 'segments were checkpointed before the kill');
      // Killed between the metering saga's reserve and its commit.
      assert.equal(sql(dataDir, `SELECT state || ' ' || minutes FROM usage_ledger WHERE interview_id = '${killed}'`), 'reserved 3');

      server = await startServer({ args: FAST, dataDir });
      const done = await waitFor(server.url, user.token, killed, ['completed', 'failed'], { timeoutMs: 180000 });
      assert.equal(done.status, 'completed', JSON.stringify(done.failure));
      assert.ok(server.lines.some((l) => l.includes('resuming a transcription')));

      // The same recording, never interrupted.
      const clean = await newInterview(server.url, user.token, 'clean');
      assert.equal((await putRecording(server.url, user.token, clean, long)).status, 201);
      await waitFor(server.url, user.token, clean, ['completed'], { timeoutMs: 180000 });
      const a = await transcriptOf(server, user.token, killed);
      const b = await transcriptOf(server, user.token, clean);
      assert.deepEqual(a.segments, b.segments);
      assert.ok(a.segments.length >= 30);

      for (const [table, where] of [['transcripts', 'interview_id'], ['analyses', 'interview_id'],
        ['notifications', 'interview_id']]) {
        assert.equal(sql(dataDir, `SELECT COUNT(*) FROM ${table} WHERE ${where} = '${killed}'`), '1', table);
      }
      assert.equal(sql(dataDir, `SELECT COUNT(*) FROM outbox_events WHERE aggregate_id = '${killed}' AND topic = 'transcript.ready'`), '1');
      assert.equal(sql(dataDir, 'SELECT COUNT(*) FROM transcript_checkpoints'), '0');
      await until('every job to finish', () => sql(dataDir, 'SELECT COUNT(*) FROM jobs') === '0');
      // The redelivered job reused its reservation: 144 s counted once, as
      // three minutes, for each recording.
      assert.equal(sql(dataDir, `SELECT state || ' ' || minutes FROM usage_ledger WHERE interview_id = '${killed}'`), 'committed 3');
      const usage = await request(server.url, 'GET', '/v1/billing/subscription', { token: user.token });
      assert.equal(usage.json.usage.minutes, 6, usage.text);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test('an event committed but not published is delivered after a restart', async () => {
    // The relay publishes once at start, then not for an hour; no workers.
    let server = await startServer({ args: ['--relay-interval', '1h', '--workers', 'none'] });
    const { dataDir } = server;
    try {
      const user = await registerUser(server.url, 'outbox');
      const id = await newInterview(server.url, user.token);
      assert.equal((await putRecording(server.url, user.token, id, readFileSync(join(media, 'dialog.wav')))).status, 201);
      assert.equal(sql(dataDir, `SELECT COUNT(*) FROM outbox_events WHERE aggregate_id = '${id}' AND published_at IS NULL`), '1');
      await server.stop('SIGKILL');

      server = await startServer({ args: FAST, dataDir });
      const done = await waitFor(server.url, user.token, id, ['completed', 'failed']);
      assert.equal(done.status, 'completed', JSON.stringify(done.failure));
      // The completion's own event follows it out.
      await until('the outbox to drain', () =>
        sql(dataDir, 'SELECT COUNT(*) FROM outbox_events WHERE published_at IS NULL') === '0');
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test('a job that kills its worker on every attempt ends failed with the reason', async () => {
    const args = [...FAST, '--job-attempts', '2'];
    let server = await startServer({ args });
    const { dataDir } = server;
    try {
      const user = await registerUser(server.url, 'poison');
      const id = await newInterview(server.url, user.token);
      assert.equal((await putRecording(server.url, user.token, id, long)).status, 201);
      for (let attempt = 1; attempt <= 2; ++attempt) {
        const started = Date.now();
        if (attempt > 1) server = await startServer({ args, dataDir });
        await progressed(server, user.token, id, 1, started);
        await server.stop('SIGKILL');
      }
      server = await startServer({ args, dataDir });
      const done = await waitFor(server.url, user.token, id, ['completed', 'failed'], { timeoutMs: 60000 });
      assert.equal(done.status, 'failed');
      assert.equal(done.failure.stage, 'transcribe');
      assert.equal(done.failure.attempts, 2);
      assert.equal(done.failure.reason, 'Processing was interrupted on every attempt. Please try again later.');
      assert.equal(sql(dataDir, "SELECT COUNT(*) FROM dead_jobs WHERE stage = 'transcribe'"), '1');
      // A retry starts afresh from the checkpoints and finishes.
      const retried = await request(server.url, 'POST', `/v1/interviews/${id}/retry`, { token: user.token });
      assert.equal(retried.status, 202, retried.text);
      const after = await waitFor(server.url, user.token, id, ['completed', 'failed'], { timeoutMs: 180000 });
      assert.equal(after.status, 'completed', JSON.stringify(after.failure));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test('Redis restarting mid-transcription loses nothing', async () => {
    const redis = await startRedis();
    const server = await startServer({ args: [...FAST, '--queue-url', redis.url] });
    try {
      const user = await registerUser(server.url, 'redis');
      const id = await newInterview(server.url, user.token);
      assert.equal((await putRecording(server.url, user.token, id, long)).status, 201);
      await progressed(server, user.token, id, 10);
      await redis.restart();
      const done = await waitFor(server.url, user.token, id, ['completed', 'failed'], { timeoutMs: 180000 });
      assert.equal(done.status, 'completed', JSON.stringify(done.failure));
      // And the queue works on after the restart.
      const next = await newInterview(server.url, user.token);
      assert.equal((await putRecording(server.url, user.token, next, readFileSync(join(media, 'dialog.wav')))).status, 201);
      assert.equal((await waitFor(server.url, user.token, next, ['completed', 'failed'])).status, 'completed');
    } finally {
      await server.stop();
      server.cleanup();
      await redis.stop();
    }
  });
});
