// The analysis through the offline recogniser: a scripted interview spoken
// by two speech-synthesiser voices (flite: the interviewer "rms" on the
// left channel, the candidate "slt" on the right), and the same as a mono
// mix, run by `interview-companion analyze`. Measured against the script's
// truth (each line's voiced time from sox, its words from the script),
// within the tolerances docs/analysis.md records.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY } from './support.mjs';

const dir = mkdtempSync(join(tmpdir(), 'companion-analysis-audio-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// [speaker, text, is a question]
const SCRIPT = [
  ['S1', 'Thanks for coming in today. It is great to meet you.', false],
  ['S2', 'Thank you for having me. I am glad to be here.', false],
  ['S1', 'So, tell me about yourself.', true],
  ['S2', 'I am a backend engineer with six years of experience, mostly in Python. At my last company I built the payments platform, and before that I worked on search.', false],
  ['S1', 'What made you apply for this role?', true],
  ['S2', 'I like that the team owns its services from design to operations, and I want to work on reliability.', false],
  ['S1', 'Tell me about a time when you had a conflict with a colleague.', true],
  ['S2', 'At my previous job, a senior colleague wanted to migrate the billing database in one weekend. My task was to plan the migration safely. So I decided to propose a gradual rollout with dual writes. As a result, we finished two weeks early with no downtime.', false],
  ['S1', 'Have you ever missed a deadline?', true],
  ['S2', 'Yes. In my last role the estimates for a reporting feature were too optimistic. I started by splitting the work into smaller pieces, and I talked to the product manager about what could wait.', false],
  ['S1', 'How do you handle feedback on your code?', true],
  ['S2', 'I take it as information, not as criticism. I ask questions until I understand the point, and then I decide what to change.', false],
  ['S1', 'Walk me through how you would design a service that shortens links.', true],
  ['S2', 'I would start with the API. A post endpoint takes a long link and returns a short code, and a get endpoint redirects. I would store the mapping in a database with a cache in front for the popular links, and I would generate the codes from a counter.', false],
  ['S1', 'Could you give me an example of a project you led?', true],
  ['S2', 'We built a new alerting pipeline. We wanted fewer false alarms, so we grouped the alerts by service, we added runbooks, and we trained the people on call. Our pages went down a lot, and we were very happy with it.', false],
  ['S1', 'Thanks. Let me tell you a bit about the team. We are eight engineers, and we ship every day.', false],
  ['S1', 'Are you married, and do you have children?', true],
  ['S2', 'I would rather keep the focus on the role, if that is okay.', false],
  ['S1', 'Of course. Why do you want to leave your current job?', true],
  ['S2', 'Um, I think I have learned a lot there, but, you know, I want to work on larger systems, and basically I am looking for a team that cares about reliability as much as I do.', false],
  ['S1', 'What would you say is your greatest weakness?', true],
  ['S2', 'I used to take on too much myself instead of asking for help. Now I share my plan early with the team, so that problems come up while they are still small.', false],
  ['S1', 'Where do you see yourself in five years?', true],
  ['S2', 'Leading a small platform team, still writing code, and helping newer engineers grow the way my mentors helped me.', false],
  ['S1', 'Do you have any questions for us?', true],
  ['S2', 'Yes. What does a typical day look like for the team?', true],
  ['S1', 'Most days start with a short standup, and then there is time for focused work.', false],
];
const GAP = 1.0;  // seconds between lines
const RATE = 16000;

const sh = (cmd) => execFileSync('bash', ['-c', `set -e; cd ${dir}; ${cmd}`], { encoding: 'utf8' });
const words = (text) => text.split(/\s+/).filter((w) => /[a-z0-9]/i.test(w));

// Each line spoken, resampled, trimmed of the voice's own silence; the
// line's place in the recording and its voiced length are the truth.
const lines = [];
let now = 0;
SCRIPT.forEach(([speaker, text, question], i) => {
  const voice = speaker === 'S1' ? 'rms' : 'slt';
  sh(`flite -voice ${voice} -t "${text}" -o raw${i}.wav
sox -V1 raw${i}.wav -r ${RATE} line${i}.wav silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse`);
  const seconds = Number(sh(`soxi -D line${i}.wav`));
  now += GAP;
  lines.push({ speaker, text, question, start: now, end: now + seconds, seconds, file: `line${i}.wav` });
  now += seconds;
});
const total = now + GAP;
// Each channel: the speaker's lines at their places, silence elsewhere.
for (const [channel, speaker] of [['left', 'S1'], ['right', 'S2']]) {
  const parts = lines.map((l, i) => {
    const pad = `sox -V1 -n -r ${RATE} -c 1 gap${channel}${i}.wav trim 0 ${(l.start - (i ? lines[i - 1].end : 0)).toFixed(3)}`;
    const body = l.speaker === speaker ? l.file
      : `silent${channel}${i}.wav`;
    const silent = l.speaker === speaker ? ''
      : `sox -V1 -n -r ${RATE} -c 1 silent${channel}${i}.wav trim 0 ${l.seconds.toFixed(3)};`;
    return { cmd: `${pad}; ${silent}`, files: `gap${channel}${i}.wav ${body}` };
  });
  sh(parts.map((p) => p.cmd).join('\n'));
  sh(`sox -V1 -n -r ${RATE} -c 1 tail${channel}.wav trim 0 ${GAP}
sox -V1 ${parts.map((p) => p.files).join(' ')} tail${channel}.wav ${channel}.wav`);
}
sh(`sox -V1 -M left.wav right.wav stereo.wav
sox -V1 -m left.wav right.wav mono.wav`);

const analyse = (file) => {
  const r = spawnSync(BINARY, ['analyze', join(dir, file), '--format', 'json'],
    { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 300000, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

// The true figures, from the script.
const truth = (speaker) => {
  const own = lines.filter((l) => l.speaker === speaker);
  const seconds = own.reduce((s, l) => s + l.seconds, 0);
  const count = own.reduce((s, l) => s + words(l.text).length, 0);
  return { seconds, wpm: (count * 60) / seconds };
};
const allSeconds = lines.reduce((s, l) => s + l.seconds, 0);

// Questions found, against the lines that ask: a found question counts
// when its start falls in an asking line.
function detection(questions) {
  const asking = lines.filter((l) => l.question);
  const hit = (q, l) => q.start >= l.start - 0.5 && q.start <= l.end + 0.5;
  const right = questions.filter((q) => asking.some((l) => hit(q, l))).length;
  const found = asking.filter((l) => questions.some((q) => hit(q, l))).length;
  return { precision: questions.length ? right / questions.length : 0, recall: found / asking.length };
}

// Every evidence range holds exactly the words it quotes.
function checkEvidence(report) {
  const spoken = report.transcript.segments.flatMap((s) => s.words.map((w) => ({ ...w, speaker: s.speaker })));
  let checked = 0;
  const visit = (v) => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    if ('segmentId' in v && 'quote' in v) {
      const inside = spoken.filter((w) => w.speaker === v.speaker && w.start >= v.start - 0.0005 && w.end <= v.end + 0.0005);
      assert.equal(v.quote, inside.map((w) => w.word).join(' '), JSON.stringify(v));
      assert.ok(v.start <= v.end);
      checked += 1;
    }
    Object.values(v).forEach(visit);
  };
  visit(report.analysis);
  return checked;
}

test('a stereo interview: pace, talk ratio, questions and evidence through the recogniser', () => {
  const report = analyse('stereo.wav');
  const { analysis } = report;
  assert.deepEqual(analysis.roles, { interviewer: 'S1', candidate: 'S2' });
  const measured = Object.fromEntries(analysis.speakers.map((s) => [s.id, s]));
  const lines_ = [];
  for (const speaker of ['S1', 'S2']) {
    const t = truth(speaker);
    const error = Math.abs(measured[speaker].wordsPerMinute - t.wpm) / t.wpm;
    lines_.push(`${speaker} wpm ${measured[speaker].wordsPerMinute} vs ${t.wpm.toFixed(1)} (${(error * 100).toFixed(1)} %)`);
    assert.ok(error <= 0.05, lines_.at(-1));
  }
  const ratio = truth('S1').seconds / allSeconds;
  const points = Math.abs(measured.S1.talkRatio - ratio) * 100;
  lines_.push(`talk ratio S1 ${measured.S1.talkRatio} vs ${ratio.toFixed(3)} (${points.toFixed(1)} points)`);
  assert.ok(points <= 3, lines_.at(-1));
  const { precision, recall } = detection(analysis.questions);
  lines_.push(`questions precision ${precision.toFixed(2)} recall ${recall.toFixed(2)} (${analysis.questions.length} found)`);
  console.log(`# stereo: ${lines_.join('; ')}`);
  assert.ok(precision >= 0.8 && recall >= 0.8, analysis.questions.map((q) => q.text).join(' | '));
  assert.ok(checkEvidence(report) > 10);
  // About four minutes, and what the content rules find through the recogniser.
  assert.ok(total >= 180, `${total} s`);
  assert.ok(analysis.flags.some((f) => f.kind === 'protected-topic'), JSON.stringify(analysis.flags));
  const conflict = analysis.questions.find((q) => /conflict/.test(q.text));
  assert.ok(conflict?.behavioural && conflict.answer, JSON.stringify(conflict));
  console.log(`# stereo: conflict story missing [${conflict.answer.missing}]; candidate fillers ${measured.S2.fillers.count}`);
});

test('the same interview as a mono mix', () => {
  const report = analyse('mono.wav');
  const { analysis } = report;
  const talk = analysis.speakers.reduce((s, x) => s + x.talkSeconds, 0);
  const spokenWords = analysis.speakers.reduce((s, x) => s + x.words, 0);
  const scriptWords = lines.reduce((s, l) => s + words(l.text).length, 0);
  const wpm = (spokenWords * 60) / talk;
  const trueWpm = (scriptWords * 60) / allSeconds;
  const { precision, recall } = detection(analysis.questions);
  console.log(`# mono: ${analysis.speakers.length} speakers; wpm ${wpm.toFixed(1)} vs ${trueWpm.toFixed(1)}; questions precision ${precision.toFixed(2)} recall ${recall.toFixed(2)}`);
  assert.ok(Math.abs(wpm - trueWpm) / trueWpm <= 0.1, `${wpm} vs ${trueWpm}`);
  assert.ok(recall >= 0.8, analysis.questions.map((q) => q.text).join(' | '));
  assert.ok(checkEvidence(report) > 5);
});
