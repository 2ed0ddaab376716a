// Erasure on the cluster's parts: the job queue and the realtime fan-out on
// Redis, recordings and exports in an S3 bucket (s3rver). After the erasure
// neither Redis (its append-only file holds every write it ever took) nor
// the bucket holds any of the user's strings, and no object of theirs is
// left in the bucket.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, request, until } from './support.mjs';
import { allFiles, S3_ARGS, S3_ENV } from './recording-support.mjs';
import { startRedis, newInterview, putRecording, waitFor, jsonLines, makeDialog } from './pipeline-support.mjs';

const PASSWORD = 'correct horse battery';
const FAST = ['--checkpoint-interval', '100ms', '--relay-interval', '20ms', '--rate-limit-auth', 'off',
  '--login-limit-email', 'off', '--rate-limit-user', 'off', '--rate-limit-ip', 'off'];
const S3_DIR = process.env.COMPANION_TEST_S3_DIR;

const media = mkdtempSync(join(tmpdir(), 'companion-erasure-cluster-'));
after(() => rmSync(media, { recursive: true, force: true }));

function scan(files, strings) {
  const found = [];
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const s of strings) if (bytes.includes(Buffer.from(s, 'utf8'))) found.push(`${s} in ${file}`);
  }
  return found;
}

test('erasure leaves none of the user\'s strings in Redis or the bucket', { timeout: 180000 }, async (t) => {
  assert.ok(S3_ARGS && S3_DIR, 'COMPANION_TEST_S3_ENDPOINT and COMPANION_TEST_S3_DIR are needed (scripts/test.sh starts s3rver)');
  const redis = await startRedis();
  const server = await startServer({ args: [...FAST, ...S3_ARGS, '--queue-url', redis.url, '--pubsub-url', redis.url], env: S3_ENV });
  try {
    const tag = `${process.pid}${Date.now()}`;
    const email = `cluster-erase-${tag}@example.com`;
    const name = `Ottoline Farquharson ${tag}`;
    const title = `Panel at Zygomorphic Systems ${tag}`;
    const reg = await request(server.url, 'POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: name } });
    assert.equal(reg.status, 201, reg.text);
    const token = reg.json.accessToken;
    const userId = reg.json.user.id;
    const id = await newInterview(server.url, token, title);
    assert.equal((await putRecording(server.url, token, id, readFileSync(makeDialog(media)))).status, 201);
    await waitFor(server.url, token, id, ['completed'], { timeoutMs: 120000 });
    const transcript = await request(server.url, 'GET', `/v1/interviews/${id}/transcript`, { token });
    const words = [...new Set(transcript.json.segments.flatMap((s) => s.words.map((w) => w.word.toLowerCase())))]
      .filter((w) => w.length >= 6);
    const exp = await request(server.url, 'POST', '/v1/me/exports', { token });
    assert.equal(exp.status, 202, exp.text);
    await until('the export', async () =>
      (await request(server.url, 'GET', `/v1/me/exports/${exp.json.id}`, { token })).json?.status === 'ready', { timeoutMs: 30000 });
    const objects = () => allFiles(S3_DIR).filter((f) => f.includes(userId));
    assert.ok(objects().length > 0, 'the recording and the export are in the bucket');

    const r = await request(server.url, 'DELETE', '/v1/me', { token, body: { password: PASSWORD } });
    assert.equal(r.status, 202, r.text);
    await until('the erasure job to finish', () => jsonLines(server.lines).some((l) => l.msg === 'erasure finished'), { timeoutMs: 30000 });

    assert.deepEqual(objects(), [], 'objects of the erased user remain in the bucket');
    const strings = [email, name, title, ...words];
    assert.deepEqual(scan(allFiles(S3_DIR), strings), [], 'the bucket holds the user\'s strings');
    // Everything Redis ever stored: the append-only file, after a rewrite
    // of what is live, and the live keys' values.
    execFileSync('redis-cli', ['-u', redis.url, 'BGREWRITEAOF']);
    await until('the AOF rewrite', () => !execFileSync('redis-cli', ['-u', redis.url, 'INFO', 'persistence'], { encoding: 'utf8' })
      .includes('aof_rewrite_in_progress:1'), { timeoutMs: 10000 });
    assert.deepEqual(scan(allFiles(redis.dir), strings), [], 'Redis holds the user\'s strings');
    const keys = execFileSync('redis-cli', ['-u', redis.url, '--scan'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    t.diagnostic(`${keys.length} Redis keys after the erasure: ${keys.join(', ')}`);
    assert.ok(keys.every((k) => !k.includes(userId)), `a Redis key names the erased user: ${keys.join(', ')}`);
  } finally {
    await server.stop();
    server.cleanup();
    await redis.stop();
  }
});
