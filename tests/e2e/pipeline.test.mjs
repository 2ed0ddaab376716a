// The processing pipeline through the real binary: upload -> transcribe ->
// analyze -> completed, on SQLite, PostgreSQL, and Redis Streams with the
// stages in a separate `worker` process. Transcript formats, speaker
// renames, the analysis, cancel and retry, bad recordings, other users.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, request, registerUser, checkProblem, BINARY, until } from './support.mjs';
import { testMedia } from './recording-support.mjs';
import { renderInChromium } from './browser-support.mjs';
import {
  startRedis, newInterview, putRecording, getInterview, waitFor, wer, repeatWav, startFakeTranscriptions,
  jsonLines, makeDialog, QUESTION, ANSWER, DIALOG_SECONDS,
} from './pipeline-support.mjs';

const file = testMedia();
const FAST = ['--checkpoint-interval', '100ms', '--job-backoff', '100ms', '--relay-interval', '20ms'];

const media = mkdtempSync(join(tmpdir(), 'companion-pipeline-'));
after(() => rmSync(media, { recursive: true, force: true }));
const dialog = makeDialog(media);
// About a minute and a half of the same: long enough to cancel mid-way.
const long = repeatWav(media, dialog, 10, join(media, 'long.wav'));

const setups = [
  { name: 'sqlite, embedded queue', database: 'sqlite' },
  { name: 'postgresql, embedded queue', database: 'postgresql' },
  { name: 'sqlite, Redis Streams, separate worker process', database: 'sqlite', redis: true },
];

// `worker --stages=…` beside a serve that runs none.
function startWorker(server, queueUrl) {
  const child = spawn(BINARY, ['worker', '--data-dir', server.dataDir, '--queue-url', queueUrl,
    '--listen', '127.0.0.1:0', '--log-format', 'json', ...FAST], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  child.stdout.setEncoding('utf8').on('data', (d) => lines.push(...d.split('\n').filter(Boolean)));
  child.stderr.setEncoding('utf8').on('data', (d) => lines.push(d));
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, lines, exited };
}

for (const setup of setups) {
  describe(setup.name, () => {
    let server, user, other, redis, worker;
    before(async () => {
      const args = [...FAST];
      if (setup.redis) {
        redis = await startRedis();
        args.push('--queue-url', redis.url, '--workers', 'none');
      }
      server = await startServer({ database: setup.database, args });
      if (setup.redis) {
        worker = startWorker(server, redis.url);
        await until('the worker to start', () => worker.lines.some((l) => l.includes('worker started')),
          { timeoutMs: 15000 });
      }
      user = await registerUser(server.url, 'pipe');
      other = await registerUser(server.url, 'other');
    });
    after(async () => {
      if (worker) { worker.child.kill('SIGTERM'); assert.equal((await worker.exited).code, 0); }
      const { code } = await server.stop();
      assert.equal(code, 0);
      server.cleanup();
      if (redis) await redis.stop();
    });

    test('a stereo recording is transcribed per speaker, analysed and completed', async () => {
      const base = server.url;
      const id = await newInterview(base, user.token);
      // The caller's trace follows the upload through every stage (W3C).
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const put = await putRecording(base, user.token, id, readFileSync(dialog), 'audio/wav',
        { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
      assert.equal(put.status, 201, put.text);
      assert.equal(put.json.status, 'uploaded');
      assert.ok('progress' in put.json);
      const done = await waitFor(base, user.token, id, ['completed', 'failed']);
      assert.equal(done.status, 'completed', JSON.stringify(done.failure));
      assert.equal(done.progress, null);
      assert.equal(done.failure, null);
      const stages = jsonLines(worker ? worker.lines : server.lines);
      const traced = (msg) => stages.find((l) => l.msg === msg && l.interviewId === id)?.traceId;
      assert.equal(traced('transcribed'), traceId);
      assert.equal(traced('analysed'), traceId);
      const upload = jsonLines(server.lines).find((l) => l.msg === 'request' && l.path === `/v1/interviews/${id}/recording`);
      assert.equal(upload?.traceId, traceId);

      const t = await request(base, 'GET', `/v1/interviews/${id}/transcript`, { token: user.token });
      assert.equal(t.status, 200, t.text);
      assert.equal(t.json.language, 'en');
      assert.deepEqual(t.json.speakers, [
        { id: 'S1', label: 'Speaker 1', channel: 0 }, { id: 'S2', label: 'Speaker 2', channel: 1 }]);
      const said = (s) => t.json.segments.filter((x) => x.speaker === s).map((x) => x.text).join(' ');
      // Two flite voices through pocketsphinx (measured: docs/benchmarks.md).
      const interviewerWer = wer(QUESTION, said('S1'));
      const candidateWer = wer(ANSWER, said('S2'));
      console.log(`# WER interviewer ${interviewerWer.toFixed(3)}, candidate ${candidateWer.toFixed(3)}`);
      assert.ok(interviewerWer <= 0.25, `interviewer WER ${interviewerWer}: ${said('S1')}`);
      assert.ok(candidateWer <= 0.25, `candidate WER ${candidateWer}: ${said('S2')}`);
      // The answer comes after the question.
      const first = (sp) => t.json.segments.find((x) => x.speaker === sp).start;
      assert.ok(first('S2') > first('S1') + 2, `answer at ${first('S2')}, question at ${first('S1')}`);
      for (const s of t.json.segments) {
        assert.ok(s.start <= s.end && s.end <= DIALOG_SECONDS + 0.5, JSON.stringify(s));
        for (const w of s.words) {
          assert.ok(w.start >= s.start - 0.001 && w.end <= s.end + 0.001 && w.start <= w.end, JSON.stringify(w));
          assert.ok(w.confidence >= 0 && w.confidence <= 1);
        }
      }
      assert.equal(t.json.text, t.json.segments.map((s) => s.text).join(' '));

      const vtt = await request(base, 'GET', `/v1/interviews/${id}/transcript?format=vtt`, { token: user.token });
      assert.equal(vtt.status, 200);
      assert.match(vtt.headers['content-type'], /^text\/vtt/);
      assert.match(vtt.text, /^WEBVTT\n\n1\n00:00:0\d\.\d{3} --> 00:00:0\d\.\d{3}\n<v Speaker 1>/);
      const srt = await request(base, 'GET', `/v1/interviews/${id}/transcript?format=srt`, { token: user.token });
      assert.match(srt.headers['content-type'], /^application\/x-subrip/);
      assert.match(srt.text, /^1\n00:00:0\d,\d{3} --> 00:00:0\d,\d{3}\nSpeaker 1: /);
      const txt = await request(base, 'GET', `/v1/interviews/${id}/transcript?format=txt`, { token: user.token });
      assert.match(txt.headers['content-type'], /^text\/plain/);
      assert.match(txt.text, /^Speaker 1: .+\n\nSpeaker 2: .+\n$/);
      checkProblem(assert, await request(base, 'GET', `/v1/interviews/${id}/transcript?format=docx`, { token: user.token }), 400);
      checkProblem(assert, await request(base, 'GET', `/v1/interviews/${id}/transcript?lang=en`, { token: user.token }), 400);

      const a = await request(base, 'GET', `/v1/interviews/${id}/analysis`, { token: user.token });
      assert.equal(a.status, 200, a.text);
      assert.equal(a.json.version, 2);
      // Two speakers take turns: one interviews, the other answers.
      assert.ok(a.json.roles.interviewer && a.json.roles.candidate, JSON.stringify(a.json.roles));
      assert.notEqual(a.json.roles.interviewer, a.json.roles.candidate);
      assert.equal(a.json.jobDescription, null);
      assert.equal(a.json.summary.source, 'rules');
      for (const key of ['questions', 'flags']) assert.ok(Array.isArray(a.json[key]), key);
      assert.equal(a.json.speakers.length, 2);
      const ratio = a.json.speakers.reduce((sum, s) => sum + s.talkRatio, 0);
      assert.ok(Math.abs(ratio - 1) < 0.01, `talk ratios sum to ${ratio}`);
      for (const s of a.json.speakers) {
        assert.ok(s.words > 0 && s.wordsPerMinute > 60 && s.wordsPerMinute < 400, JSON.stringify(s));
        assert.ok(s.longestMonologueSeconds > 0 && s.longestMonologueSeconds <= s.talkSeconds + 0.001);
        assert.equal(typeof s.pauses.count, 'number');
      }

      // Speakers are renamed everywhere they show.
      const renamed = await request(base, 'PATCH', `/v1/interviews/${id}/speakers`, {
        token: user.token, body: { speakers: [{ id: 'S1', label: 'Interviewer' }, { id: 'S2', label: 'Me' }] },
      });
      assert.equal(renamed.status, 200, renamed.text);
      assert.deepEqual(renamed.json.speakers.map((s) => s.label), ['Interviewer', 'Me']);
      const vtt2 = await request(base, 'GET', `/v1/interviews/${id}/transcript?format=vtt`, { token: user.token });
      assert.match(vtt2.text, /<v Interviewer>.*\n[^]*<v Me>/);
      const a2 = await request(base, 'GET', `/v1/interviews/${id}/analysis`, { token: user.token });
      assert.deepEqual(a2.json.speakers.map((s) => s.label).sort(), ['Interviewer', 'Me']);
      for (const body of [{ speakers: [{ id: 'S9', label: 'Nobody' }] }, { speakers: [] },
        { speakers: [{ id: 'S1' }] }, { speakers: [{ id: 'S1', label: '' }] }, { speakers: 'S1' },
        { speakers: [{ id: 'S1', label: 'x', extra: 1 }] }, {}]) {
        checkProblem(assert, await request(base, 'PATCH', `/v1/interviews/${id}/speakers`, { token: user.token, body }), 400, JSON.stringify(body));
      }

      // Analysed again with a job description, without transcribing again.
      for (const body of [{ jobDescription: 5 }, { jobDescription: 'x'.repeat(20001) }, { other: 'x' }]) {
        checkProblem(assert, await request(base, 'POST', `/v1/interviews/${id}/reanalyze`, { token: user.token, body }), 400, JSON.stringify(body));
      }
      const again = await request(base, 'POST', `/v1/interviews/${id}/reanalyze`, {
        token: user.token, body: { jobDescription: 'An engineer who knows speech recognition, audio and transcripts.' },
      });
      assert.equal(again.status, 202, again.text);
      assert.equal(again.json.status, 'analyzing');
      assert.equal((await waitFor(base, user.token, id, ['completed', 'failed'])).status, 'completed');
      const a3 = await request(base, 'GET', `/v1/interviews/${id}/analysis`, { token: user.token });
      assert.ok(a3.json.jobDescription && a3.json.jobDescription.terms.length > 0, JSON.stringify(a3.json.jobDescription));
      // The report page: one self-contained document a browser renders.
      const page = await request(base, 'GET', `/v1/interviews/${id}/report.html`, { token: user.token });
      assert.equal(page.status, 200, page.text);
      assert.match(page.headers['content-type'], /^text\/html; charset=utf-8/);
      assert.match(page.headers['content-security-policy'], /default-src 'none'/);
      assert.doesNotMatch(page.text, /<script|src=|href=|https?:\/\//);
      const shown = await renderInChromium(page.text, `report-${setup.name.replace(/[^a-z0-9]+/gi, '-')}`);
      // Talk time, pace and the questions (this short recording has no fillers to chart).
      assert.equal((shown.dom.match(/<svg/g) ?? []).length, 3, 'three charts in the rendered DOM');
      assert.match(shown.dom, /Who talks when/);
      assert.equal(shown.bytes.subarray(1, 4).toString(), 'PNG');
      assert.ok(shown.bytes.length > 20000, `screenshot of ${shown.bytes.length} bytes: ${shown.png}`);
      // No body (some clients still say it is JSON): the job description stays.
      const plain = await request(base, 'POST', `/v1/interviews/${id}/reanalyze`,
        { token: user.token, rawBody: '', contentType: 'application/json' });
      assert.equal(plain.status, 202, plain.text);
      assert.equal(plain.json.jobDescription, 'An engineer who knows speech recognition, audio and transcripts.');
      assert.equal((await waitFor(base, user.token, id, ['completed', 'failed'])).status, 'completed');

      // Nothing to cancel or retry once completed.
      checkProblem(assert, await request(base, 'POST', `/v1/interviews/${id}/cancel`, { token: user.token }), 409);
      checkProblem(assert, await request(base, 'POST', `/v1/interviews/${id}/retry`, { token: user.token }), 409);

      // Another user sees none of it.
      for (const [method, path, body] of [['GET', 'transcript'], ['GET', 'analysis'], ['POST', 'cancel'],
        ['POST', 'retry'], ['POST', 'reanalyze'], ['GET', 'report.html'], ['PATCH', 'speakers', { speakers: [{ id: 'S1', label: 'x' }] }]]) {
        checkProblem(assert, await request(base, method, `/v1/interviews/${id}/${path}`, { token: other.token, body }), 404, path);
      }
    });

    if (setup.redis) {
      test('the worker answers probes and metrics on --listen, and nothing else', async () => {
        const started = JSON.parse(worker.lines.find((l) => l.includes('worker started')));
        assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.equal((await request(started.url, 'GET', '/healthz')).status, 200);
        const ready = await request(started.url, 'GET', '/readyz');
        assert.equal(ready.status, 200, ready.text);
        const metrics = await request(started.url, 'GET', '/metrics');
        assert.equal(metrics.status, 200);
        assert.match(metrics.text, /pipeline_jobs_processed_total\{stage="transcribe"\} [1-9]/);
        checkProblem(assert, await request(started.url, 'GET', '/v1/interviews', { token: user.token }), 404);
      });
    }

    test('cancel stops a running transcription; retry finishes it without a new upload', async () => {
      const base = server.url;
      const id = await newInterview(base, user.token);
      checkProblem(assert, await request(base, 'POST', `/v1/interviews/${id}/cancel`, { token: user.token }), 409);
      checkProblem(assert, await request(base, 'POST', `/v1/interviews/${id}/retry`, { token: user.token }), 409);
      const put = await putRecording(base, user.token, id, readLong());
      assert.equal(put.status, 201, put.text);
      await until('the transcription to be under way', async () => {
        const i = await getInterview(base, user.token, id);
        return i.status === 'transcribing' && i.progress && i.progress.percent >= 15;
      }, { timeoutMs: 60000, intervalMs: 50 });
      const cancelled = await request(base, 'POST', `/v1/interviews/${id}/cancel`, { token: user.token });
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.equal(cancelled.json.status, 'cancelled');
      assert.equal(cancelled.json.progress, null);
      const again = await request(base, 'POST', `/v1/interviews/${id}/cancel`, { token: user.token });
      assert.equal(again.status, 200);
      assert.equal(again.json.status, 'cancelled');
      checkProblem(assert, await request(base, 'GET', `/v1/interviews/${id}/transcript`, { token: user.token }), 404);
      // The stage notices and stops (logged), leaving the interview cancelled.
      const logs = () => (worker ? worker.lines : server.lines);
      await until('the transcription to stop', () => logs().some((l) => l.includes('transcription stopped')),
        { timeoutMs: 20000 });
      assert.equal((await getInterview(base, user.token, id)).status, 'cancelled');

      const retried = await request(base, 'POST', `/v1/interviews/${id}/retry`, { token: user.token });
      assert.equal(retried.status, 202, retried.text);
      assert.equal(retried.json.status, 'uploaded');
      checkProblem(assert, await request(base, 'POST', `/v1/interviews/${id}/retry`, { token: user.token }), 409);
      const done = await waitFor(base, user.token, id, ['completed', 'failed'], { timeoutMs: 120000 });
      assert.equal(done.status, 'completed', JSON.stringify(done.failure));
      // The retry resumed from the segments finished before the cancel.
      assert.ok(logs().some((l) => l.includes('resuming a transcription') && l.includes(id)));
      const t = await request(base, 'GET', `/v1/interviews/${id}/transcript`, { token: user.token });
      assert.ok(t.json.segments.length >= 20, `${t.json.segments.length} segments`);
      assert.ok(t.json.segments.at(-1).end > DIALOG_SECONDS * 9, `ends at ${t.json.segments.at(-1).end}`);
    });
  });
}

let longBytes;
function readLong() {
  longBytes ??= readFileSync(long);
  return longBytes;
}

describe('recordings that are hard to transcribe', () => {
  let server, user;
  before(async () => {
    server = await startServer({ args: FAST });
    user = await registerUser(server.url, 'bad');
  });
  after(async () => { await server.stop(); server.cleanup(); });

  // What each must become. All are decodable, so each is accepted and
  // completed; what differs is what survives. A stereo file is a speaker a
  // channel; more channels are mixed to one speaker, as is mono. `ends`:
  // where the last segment ends, in seconds: the whole three-second
  // recording, or the first half a cut file keeps. `heard`: the speakers
  // with words; `answer`: what the candidate is heard saying, where the
  // full answer survives ("I rebuilt our deploy pipeline in two weeks").
  const whole = [2.5, 3.1];
  const firstHalf = [1, 1.6];
  const cases = [
    { name: 'truncated-faststart.m4a', type: 'audio/mp4', speakers: 2, ends: firstHalf, heard: ['S1', 'S2'] },
    { name: 'truncated.mp3', type: 'audio/mpeg', speakers: 2, ends: firstHalf, heard: ['S1', 'S2'] },
    { name: 'truncated.webm', type: 'audio/webm', speakers: 2, ends: firstHalf, heard: ['S1', 'S2'] },
    { name: 'silence.wav', type: 'audio/wav', speakers: 1, ends: null, heard: [] },
    { name: 'speech-6ch.wav', type: 'audio/wav', speakers: 1, ends: whole, heard: ['S1'] },
    { name: 'speech-8k.wav', type: 'audio/wav', speakers: 1, ends: whole, heard: ['S1'] },
    { name: 'interview.mp4', type: 'video/mp4', speakers: 2, ends: whole, heard: ['S1', 'S2'], answer: /two weeks/ },
    { name: 'speech-stream.webm', type: 'audio/webm', speakers: 2, ends: whole, heard: ['S1', 'S2'], answer: /two weeks/ },
    { name: 'speech.ogg', type: 'audio/ogg', speakers: 2, ends: whole, heard: ['S1', 'S2'], answer: /two weeks/ },
    // Half a second cut mid-word: still transcribed, not dropped as too short.
    { name: 'short-speech.wav', type: 'audio/wav', speakers: 2, ends: [0.2, 0.55], heard: ['S1'] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const id = await newInterview(server.url, user.token, c.name);
      const put = await putRecording(server.url, user.token, id, file(c.name), c.type);
      assert.equal(put.status, 201, put.text);
      const done = await waitFor(server.url, user.token, id, ['completed', 'failed']);
      assert.equal(done.status, 'completed', JSON.stringify(done.failure));
      assert.equal(done.failure, null);
      const t = await request(server.url, 'GET', `/v1/interviews/${id}/transcript`, { token: user.token });
      assert.equal(t.status, 200, t.text);
      assert.deepEqual(t.json.speakers,
        Array.from({ length: c.speakers }, (_, i) => ({ id: `S${i + 1}`, label: `Speaker ${i + 1}`, channel: i })));
      const said = (s) => t.json.segments.filter((x) => x.speaker === s).map((x) => x.text).join(' ').trim();
      const heard = t.json.speakers.map((s) => s.id).filter((s) => said(s) !== '');
      assert.deepEqual(heard, c.heard, JSON.stringify(t.json.segments));
      if (!c.ends) {
        assert.equal(t.json.segments.length, 0);
        return;
      }
      const last = Math.max(...t.json.segments.map((s) => s.end));
      assert.ok(last >= c.ends[0] && last <= c.ends[1], `the last segment ends at ${last}`);
      for (const s of t.json.segments) assert.ok(s.start >= 0 && s.start <= s.end, JSON.stringify(s));
      if (c.answer) assert.match(said('S2'), c.answer);
    });
  }
  test('the server is still serving', async () => {
    const r = await request(server.url, 'GET', '/healthz');
    assert.equal(r.status, 200);
  });
});

describe('remote speech recognition (OpenAI-compatible API, faked locally)', () => {
  let fake, server, user;
  before(async () => {
    fake = await startFakeTranscriptions();
    server = await startServer({
      args: [...FAST, '--asr-engine', 'remote', '--asr-url', fake.url, '--asr-model', 'ok',
        '--job-attempts', '2'],
      env: { IC_ASR_API_KEY: 'test-key' },
    });
    user = await registerUser(server.url, 'remote');
  });
  after(async () => { await server.stop(); server.cleanup(); await fake.stop(); });

  test('segments are sent to the service and its words land in recording time', async () => {
    const id = await newInterview(server.url, user.token);
    assert.equal((await putRecording(server.url, user.token, id, readFileSync(dialog))).status, 201);
    const done = await waitFor(server.url, user.token, id, ['completed', 'failed']);
    assert.equal(done.status, 'completed', JSON.stringify(done.failure));
    const t = await request(server.url, 'GET', `/v1/interviews/${id}/transcript`, { token: user.token });
    assert.equal(t.json.engine, 'remote:ok');
    assert.equal(t.json.language, 'en');
    assert.equal(t.json.speakers.length, 2);
    assert.ok(t.json.segments.length >= 2);
    for (const s of t.json.segments) {
      assert.match(s.words[0].word, /^word\d+$/);
      // The fake's first word is 0.1 s into the segment it was sent.
      assert.ok(Math.abs(s.words[0].start - (s.start + 0.1)) < 0.002, JSON.stringify(s));
      assert.ok(Math.abs(s.words[0].confidence - Math.exp(-0.105)) < 0.001);
    }
  });
});

describe('remote speech recognition that keeps failing', () => {
  let fake, server, user;
  before(async () => {
    fake = await startFakeTranscriptions();
    server = await startServer({
      args: [...FAST, '--asr-engine', 'remote', '--asr-url', fake.url, '--asr-model', 'broken',
        '--job-attempts', '2'],
      env: { IC_ASR_API_KEY: 'test-key' },
    });
    user = await registerUser(server.url, 'remote-broken');
  });
  after(async () => { await server.stop(); server.cleanup(); await fake.stop(); });

  test('the interview fails with a written reason after the last attempt, not the service\'s text', async () => {
    const id = await newInterview(server.url, user.token);
    assert.equal((await putRecording(server.url, user.token, id, readFileSync(dialog))).status, 201);
    const done = await waitFor(server.url, user.token, id, ['completed', 'failed']);
    assert.equal(done.status, 'failed');
    assert.deepEqual({ stage: done.failure.stage, attempts: done.failure.attempts }, { stage: 'transcribe', attempts: 2 });
    assert.equal(done.failure.reason,
      'The speech recognition service is unavailable. Please try again later.');
  });
});
