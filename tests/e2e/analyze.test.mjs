// `interview-companion analyze FILE`: one local recording through the
// whole pipeline's work, report printed; no server, database or queue.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY } from './support.mjs';
import { ROOT } from './recording-support.mjs';
import { wer, makeDialog, QUESTION, ANSWER } from './pipeline-support.mjs';

const dir = mkdtempSync(join(tmpdir(), 'companion-analyze-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const call = makeDialog(dir);

const analyze = (...args) => spawnSync(BINARY, ['analyze', ...args],
  { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 60000 });

// The fake chat completions service (tests/fakes/chat_completions_server.py).
async function startFakeChat() {
  const child = spawn('python3', [join(ROOT, 'tests/fakes/chat_completions_server.py')],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(/PORT (\d+)/.exec(d.toString())[1])));
    child.once('exit', () => reject(new Error('the fake chat service did not start')));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

test('a call comes back as a transcript per speaker with delivery metrics (json)', () => {
  const r = analyze(call, '--format', 'json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const t = report.transcript;
  assert.deepEqual(t.speakers.map((s) => s.channel), [0, 1]);
  const said = (id) => t.segments.filter((s) => s.speaker === id).map((s) => s.text).join(' ');
  assert.ok(wer(QUESTION, said('S1')) <= 0.25, said('S1'));
  assert.ok(wer(ANSWER, said('S2')) <= 0.25, said('S2'));
  assert.equal(report.analysis.version, 2);
  assert.deepEqual(report.analysis.roles, { interviewer: 'S1', candidate: 'S2' });
  assert.equal(report.analysis.jobDescription, null);
  assert.equal(report.analysis.speakers.length, 2);
  const ratio = report.analysis.speakers.reduce((sum, s) => sum + s.talkRatio, 0);
  assert.ok(Math.abs(ratio - 1) < 0.01, `talk ratios sum to ${ratio}`);
});

test('the text report is for people', () => {
  const r = analyze(call);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Recording: 0:0\d, speech 0:0\d, 2 speakers \(pocketsphinx, en\)\n/);
  assert.match(r.stdout, /Speaker 1 \(S1\): talks 0:0\d \(\d+ %\), \d+ words, \d+ words a minute/);
  assert.match(r.stdout, /\nInterviewer: Speaker 1\. Candidate: Speaker 2\.\n/);
  assert.match(r.stdout, /\nQuestions\n  q1 0:0\d Speaker 1: ".+"\n     answered by Speaker 2 in 0:0\d, \d+ words/);
  assert.match(r.stdout, /\nTranscript\n\nSpeaker 1: .+\n\nSpeaker 2: .+\n$/);
});

test('with a job description, the answers are measured against it', () => {
  const jd = join(dir, 'job.txt');
  writeFileSync(jd, 'We need someone who solves hard problems with the team, fast.');
  const r = analyze(call, '--format', 'json', '--job-description', jd);
  assert.equal(r.status, 0, r.stderr);
  const { jobDescription } = JSON.parse(r.stdout).analysis;
  assert.ok(jobDescription.terms.some((t) => t.term === 'problems' && t.covered), JSON.stringify(jobDescription));
  assert.ok(jobDescription.coverage > 0 && jobDescription.coverage <= 1);
  const text = analyze(call, '--job-description', jd);
  assert.match(text.stdout, /\nJob description: \d+ % of its key terms covered\n  covered: .*problems/);
  writeFileSync(jd, 'x'.repeat(20001));
  const long = analyze(call, '--job-description', jd);
  assert.equal(long.status, 1);
  assert.match(long.stderr, /job\.txt is over 20,000 characters/);
  const none = analyze(call, '--job-description', join(dir, 'nothing.txt'));
  assert.equal(none.status, 1);
  assert.match(none.stderr, /cannot read the job description/);
});

test('the report page goes to a file, whole', () => {
  const out = join(dir, 'report.html');
  const r = analyze(call, '--format', 'html', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const page = readFileSync(out, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.match(page, /<title>dialog\.wav · Interview report<\/title>/);
  assert.match(page, /Who talks when/);
  assert.ok(!existsSync(`${out}.partial`));
});

test('what is not a recording gets a reason and exit status 1', () => {
  writeFileSync(join(dir, 'notes.mp3'), 'These are my notes, not a recording.\n');
  const notes = analyze(join(dir, 'notes.mp3'));
  assert.equal(notes.status, 1);
  assert.equal(notes.stdout, '');
  assert.match(notes.stderr, /notes\.mp3 is not a recording we can read: /);
  const missing = analyze(join(dir, 'nowhere.wav'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot open .*nowhere\.wav: No such file or directory/);
  const folder = analyze(dir);
  assert.equal(folder.status, 1);
  assert.match(folder.stderr, /is not a file/);
  const usage = analyze();
  assert.notEqual(usage.status, 0);
  assert.match(usage.stderr + usage.stdout, /file is required/);
});

test('with --llm-url, a language model writes the summary; without a working one, the rules do', async () => {
  const chat = await startFakeChat();
  try {
    const withModel = (model, key = 'test-key') => spawnSync(BINARY,
      ['analyze', call, '--format', 'json', '--llm-url', chat.url, '--llm-model', model, '--llm-timeout', '2s'],
      { env: { PATH: process.env.PATH, IC_LLM_API_KEY: key }, encoding: 'utf8', timeout: 60000 });
    const r = withModel('ok');
    assert.equal(r.status, 0, r.stderr);
    const { analysis } = JSON.parse(r.stdout);
    assert.equal(analysis.summary.source, 'llm');
    assert.equal(analysis.summary.strengths[0].evidence[0].speaker, 'S1');
    assert.ok(analysis.questions[0].answer.findings.some((f) => f.kind === 'llm-feedback'));
    const refused = withModel('ok', 'wrong-key');
    assert.equal(refused.status, 0, refused.stderr);
    assert.equal(JSON.parse(refused.stdout).analysis.summary.source, 'rules');
    assert.match(refused.stderr, /language model's feedback is not used \(the language model answered 401\)/);
  } finally {
    chat.stop();
  }
});

test('an operator\'s analysis settings file sets the lexicon; a bad one stops with the reason', () => {
  const file = join(dir, 'analysis.json');
  writeFileSync(file, JSON.stringify({ fillers: ['the'], answerSeconds: { min: 1, max: 2 } }));
  const r = analyze(call, '--format', 'json', '--analysis-settings', file);
  assert.equal(r.status, 0, r.stderr);
  const { analysis } = JSON.parse(r.stdout);
  const the = analysis.speakers.reduce((n, s) => n + s.fillers.count, 0);
  assert.ok(the >= 2, `"the" counted ${the} times`);
  assert.ok(analysis.speakers.every((s) => s.fillers.items.every((i) => i.word === 'the')));
  writeFileSync(file, JSON.stringify({ filler: ['um'] }));
  const bad = analyze(call, '--analysis-settings', file);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--analysis-settings \/ IC_ANALYSIS_SETTINGS: .*analysis\.json: unknown setting "filler"/);
});
