// Shared by the pipeline e2e files: Redis on a free loopback port, uploads,
// waiting for an interview's status, and the word error rate.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { request, until } from './support.mjs';
import { ROOT } from './recording-support.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A throwaway redis-server (append-only file, so a restart keeps the jobs).
export async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'companion-redis-'));
  const port = await freePort();
  let child;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
    await until('redis to accept connections', () => new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.write('PING\r\n'); });
      c.on('data', (d) => { c.destroy(); resolve(d.toString().startsWith('+PONG')); });
      c.on('error', () => resolve(false));
    }), { timeoutMs: 10000 });
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    dir,
    async restart() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      await launch();
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function newInterview(base, token, title = 'Pipeline') {
  const r = await request(base, 'POST', '/v1/interviews', { token, body: { title } });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
  return r.json.id;
}

export function putRecording(base, token, id, body, type = 'audio/wav', headers = {}) {
  return request(base, 'PUT', `/v1/interviews/${id}/recording`, {
    token, rawBody: body, contentType: type, headers: { 'Recording-Consent': 'all-parties', ...headers },
  });
}

// The JSON log lines of a process (others, such as stderr text, skipped).
export function jsonLines(lines) {
  return lines.flatMap((l) => {
    try { return [JSON.parse(l)]; } catch { return []; }
  });
}

export async function getInterview(base, token, id) {
  const r = await request(base, 'GET', `/v1/interviews/${id}`, { token });
  if (r.status !== 200) throw new Error(`get failed: ${r.status} ${r.text}`);
  return r.json;
}

// Polls until the interview's status is one of `statuses`; returns it.
// `seen` collects every status observed on the way.
export async function waitFor(base, token, id, statuses, { timeoutMs = 60000, seen } = {}) {
  let last;
  await until(`interview ${id} to be ${statuses.join(' or ')}`, async () => {
    last = await getInterview(base, token, id);
    if (seen) seen.add(last.status);
    return statuses.includes(last.status);
  }, { timeoutMs, intervalMs: 50 });
  return last;
}

// Word error rate: word-level edit distance over the reference length.
export function wer(reference, hypothesis) {
  const norm = (t) => t.toLowerCase().replace(/[^a-z' ]/g, ' ').split(/\s+/).filter(Boolean);
  const r = norm(reference), h = norm(hypothesis);
  const d = Array.from({ length: r.length + 1 }, (_, i) => [i, ...Array(h.length).fill(0)]);
  for (let j = 1; j <= h.length; ++j) d[0][j] = j;
  for (let i = 1; i <= r.length; ++i)
    for (let j = 1; j <= h.length; ++j)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
  return d[r.length][h.length] / Math.max(r.length, 1);
}

// Concatenates a wav `times` times (sox), for recordings long enough to
// cancel or kill mid-way.
export function repeatWav(dir, input, times, output) {
  const inputs = Array(times).fill(input);
  execFileSync('sox', ['-V1', ...inputs, output]);
  return output;
}

export { ROOT };

// The fake OpenAI-compatible transcription service (tests/fakes/).
export async function startFakeTranscriptions() {
  const child = spawn('python3', [join(ROOT, 'tests/fakes/transcriptions_server.py')],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buffer += d;
      const m = buffer.match(/PORT (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`the fake transcription service exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export const QUESTION = 'Tell me about a time you solved a hard problem.';
export const ANSWER = 'I worked with the team to find the problem and we fixed it in two weeks.';
export const DIALOG_SECONDS = 8;

// A recorded call, written to DIR/dialog.wav (16 kHz stereo, 8 s): the
// interviewer (flite voice rms) on the left asks QUESTION, the candidate
// (voice slt) on the right answers ANSWER after a pause.
export function makeDialog(dir) {
  execFileSync('bash', ['-c', `set -e; cd ${dir}
flite -voice rms -t '${QUESTION}' -o q.wav
flite -voice slt -t '${ANSWER}' -o a.wav
sox -V1 -D q.wav -r 16000 left.wav pad 0.3 5
sox -V1 -D a.wav -r 16000 right.wav pad 3.8 0.5
sox -V1 -D -M left.wav right.wav dialog.wav`]);
  return join(dir, 'dialog.wav');
}
