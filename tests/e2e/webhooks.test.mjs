// Outgoing webhooks through the real binary: deliveries to a local
// receiver, their signatures verified by the `standardwebhooks` npm
// package (the spec's reference implementation); retries with backoff,
// the endpoint disabled after repeated failures and its owner told,
// manual redelivery, no redirects followed; the SSRF guard refusing
// internal addresses, a name that resolves to one included.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { startServer, request, registerUser, checkProblem, until } from './support.mjs';
import { newInterview, putRecording, waitFor, ROOT } from './pipeline-support.mjs';

const { Webhook } = createRequire(join(ROOT, 'tests/tools/package.json'))('standardwebhooks');

const FAST = ['--checkpoint-interval', '100ms', '--job-backoff', '100ms', '--relay-interval', '20ms'];
const media = mkdtempSync(join(tmpdir(), 'companion-webhooks-'));
after(() => rmSync(media, { recursive: true, force: true }));
spawnSync('sox', ['-n', '-r', '16000', '-c', '1', join(media, 'tone.wav'), 'synth', '1', 'sine', '300']);
const tone = readFileSync(join(media, 'tone.wav'));

// A receiver on a loopback port: records every request, answers with what
// `respond(request, n)` says (default 204).
async function startReceiver() {
  const received = [];
  const receiver = {
    received,
    respond: () => ({ status: 204 }),
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      const answer = receiver.respond(entry, received.length);
      if (answer.hang) return;  // never answers
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${server.address().port}`;
  receiver.stop = () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
  return receiver;
}

async function createHook(server, token, body) {
  const r = await request(server.url, 'POST', '/v1/webhooks', { token, body });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function deliveries(server, token, id) {
  const r = await request(server.url, 'GET', `/v1/webhooks/${id}/deliveries`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}

describe('webhooks', () => {
  let server;
  let receiver;
  before(async () => {
    receiver = await startReceiver();
    server = await startServer({
      args: [...FAST, '--webhook-allow-hosts', '127.0.0.1', '--webhook-retry-base', '50ms',
        '--webhook-max-failures', '4', '--webhook-timeout', '1s'],
    });
  });
  after(async () => {
    await server.stop();
    server.cleanup();
    await receiver.stop();
  });

  test('deliveries are signed per Standard Webhooks and carry the event', async () => {
    const user = await registerUser(server.url, 'hooks');
    const hook = await createHook(server, user.token, {
      url: `${receiver.url}/signed`, events: ['interview.completed', 'interview.status'], description: 'CI',
    });
    assert.match(hook.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(hook.disabledAt, null);
    assert.deepEqual(hook.events, ['interview.completed', 'interview.status']);
    const read = await request(server.url, 'GET', `/v1/webhooks/${hook.id}`, { token: user.token });
    assert.equal(read.status, 200);
    assert.equal(read.json.secret, undefined, 'the secret is shown only once');

    const id = await newInterview(server.url, user.token, 'Hooked');
    assert.equal((await putRecording(server.url, user.token, id, tone)).status, 201);
    await waitFor(server.url, user.token, id, ['completed']);
    const mine = () => receiver.received.filter((r) => r.url === '/signed');
    await until('the completed delivery', async () => mine().some((r) => JSON.parse(r.body).type === 'interview.completed'));

    const verifier = new Webhook(hook.secret);
    for (const r of mine()) {
      const payload = verifier.verify(r.body, r.headers);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.match(r.headers['webhook-signature'], /^v1,/);
      assert.equal(payload.data.interviewId, id);
      assert.match(payload.timestamp, /Z$/);
    }
    const types = mine().map((r) => JSON.parse(r.body).type);
    assert.ok(!types.includes('notification.created'), 'only the types asked for');
    const done = mine().map((r) => JSON.parse(r.body)).find((p) => p.type === 'interview.completed');
    assert.equal(done.data.title, 'Hooked');
    // A tampered body or another secret fails verification.
    const one = mine().find((r) => JSON.parse(r.body).type === 'interview.completed');
    assert.throws(() => verifier.verify(one.body.replace('Hooked', 'Hacked'), one.headers));
    assert.throws(() => new Webhook('whsec_' + Buffer.alloc(24, 1).toString('base64')).verify(one.body, one.headers));

    await until('the delivery log', async () => (await deliveries(server, user.token, hook.id)).every((d) => d.status === 'succeeded'));
    const log = await deliveries(server, user.token, hook.id);
    assert.equal(log.length, mine().length);
    for (const d of log) {
      assert.equal(d.attempts, 1);
      assert.equal(d.responseStatus, 204);
    }
    assert.ok(mine().every((r) => log.some((d) => d.id === r.headers['webhook-id'])));
  });

  test('a failing endpoint is retried with the same message id until it answers', async () => {
    const user = await registerUser(server.url, 'retry');
    // The first message fails twice, then goes through.
    let first;
    let failures = 0;
    receiver.respond = (r) => {
      if (r.url !== '/flaky') return { status: 204 };
      first ??= r.headers['webhook-id'];
      if (r.headers['webhook-id'] === first && failures < 2) { failures += 1; return { status: 503 }; }
      return { status: 200, body: 'ok' };
    };
    const hook = await createHook(server, user.token, { url: `${receiver.url}/flaky`, events: ['interview.status'] });
    await newInterview(server.url, user.token, 'Flaky');
    const id = await newInterview(server.url, user.token, 'Flaky two');
    assert.equal((await putRecording(server.url, user.token, id, tone)).status, 201);
    await until('a delivery after two failures', async () => {
      const log = await deliveries(server, user.token, hook.id);
      return log.some((d) => d.status === 'succeeded' && d.attempts === 3);
    });
    const log = await deliveries(server, user.token, hook.id);
    const retried = log.find((d) => d.attempts === 3);
    assert.equal(retried.responseStatus, 200);
    const tries = receiver.received.filter((r) => r.headers['webhook-id'] === retried.id);
    assert.equal(tries.length, 3);
    const verifier = new Webhook(hook.secret);
    for (const t of tries) verifier.verify(t.body, t.headers);
    receiver.respond = () => ({ status: 204 });
  });

  test('repeated failures disable the endpoint and tell its owner; redeliver after enabling it', async () => {
    const user = await registerUser(server.url, 'broken');
    receiver.respond = (r) => (r.url === '/broken' ? { status: 302, headers: { Location: `${receiver.url}/elsewhere` } } : { status: 204 });
    const hook = await createHook(server, user.token, { url: `${receiver.url}/broken`, events: ['interview.status'] });
    const id = await newInterview(server.url, user.token, 'Broken');
    assert.equal((await putRecording(server.url, user.token, id, tone)).status, 201);
    await until('the endpoint to be disabled', async () => {
      const r = await request(server.url, 'GET', `/v1/webhooks/${hook.id}`, { token: user.token });
      return r.json.disabledAt !== null;
    }, { timeoutMs: 30000 });
    assert.equal(receiver.received.filter((r) => r.url === '/elsewhere').length, 0, 'no redirect is followed');
    const log = await deliveries(server, user.token, hook.id);
    assert.ok(log.length > 0);
    for (const d of log) assert.equal(d.status, 'failed');
    assert.ok(log.some((d) => d.responseStatus === 302));
    const notes = await request(server.url, 'GET', '/v1/notifications', { token: user.token });
    const note = notes.json.items.find((n) => n.type === 'webhook.disabled');
    assert.ok(note, JSON.stringify(notes.json));
    assert.match(note.body, /\/broken/);

    checkProblem(assert, await request(server.url, 'POST', `/v1/webhooks/${hook.id}/deliveries/${log[0].id}/redeliver`, { token: user.token }), 409);
    receiver.respond = () => ({ status: 204 });
    const enabled = await request(server.url, 'PATCH', `/v1/webhooks/${hook.id}`, { token: user.token, body: { disabled: false } });
    assert.equal(enabled.status, 200, enabled.text);
    assert.equal(enabled.json.disabledAt, null);
    const again = await request(server.url, 'POST', `/v1/webhooks/${hook.id}/deliveries/${log[0].id}/redeliver`, { token: user.token });
    assert.equal(again.status, 202, again.text);
    assert.equal(again.json.status, 'pending');
    await until('the redelivery', async () => (await deliveries(server, user.token, hook.id)).find((d) => d.id === log[0].id).status === 'succeeded');
    const other = await registerUser(server.url, 'stranger');
    checkProblem(assert, await request(server.url, 'GET', `/v1/webhooks/${hook.id}/deliveries`, { token: other.token }), 404);
    checkProblem(assert, await request(server.url, 'POST', `/v1/webhooks/${hook.id}/deliveries/${log[0].id}/redeliver`, { token: other.token }), 404);
  });

  test('CRUD: validation, list, patch, delete', async () => {
    const user = await registerUser(server.url, 'crud');
    for (const body of [
      { url: 'ftp://example.com/x', events: ['interview.status'] },
      { url: `${receiver.url}/x`, events: ['interview.exploded'] },
      { url: `${receiver.url}/x`, events: ['interview.progress'] },
      { url: `${receiver.url}/x`, events: [] },
      { url: `${receiver.url}/x` },
      { events: ['interview.status'] },
      { url: `${receiver.url}/x`, events: ['interview.status'], secret: 'mine' },
      { url: 'http://user:pw@127.0.0.1/x', events: ['interview.status'] },
    ]) checkProblem(assert, await request(server.url, 'POST', '/v1/webhooks', { token: user.token, body }), 400, JSON.stringify(body));
    const a = await createHook(server, user.token, { url: `${receiver.url}/a`, events: ['interview.failed'] });
    const b = await createHook(server, user.token, { url: `${receiver.url}/b`, events: ['interview.failed'] });
    const page = await request(server.url, 'GET', '/v1/webhooks?limit=1', { token: user.token });
    assert.equal(page.json.items[0].id, b.id);
    const next = await request(server.url, 'GET', `/v1/webhooks?limit=1&cursor=${page.json.nextCursor}`, { token: user.token });
    assert.equal(next.json.items[0].id, a.id);
    assert.equal(next.json.nextCursor, null);
    const patched = await request(server.url, 'PATCH', `/v1/webhooks/${a.id}`, { token: user.token, body: { events: ['interview.completed'], description: 'new' } });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.json.events, ['interview.completed']);
    assert.equal(patched.json.description, 'new');
    assert.equal(patched.json.url, `${receiver.url}/a`);
    assert.equal((await request(server.url, 'DELETE', `/v1/webhooks/${a.id}`, { token: user.token })).status, 204);
    checkProblem(assert, await request(server.url, 'GET', `/v1/webhooks/${a.id}`, { token: user.token }), 404);
    checkProblem(assert, await request(server.url, 'DELETE', `/v1/webhooks/${a.id}`, { token: user.token }), 404);
    checkProblem(assert, await request(server.url, 'GET', '/v1/webhooks/not-an-id', { token: user.token }), 404);
  });
});

describe('the SSRF guard', () => {
  test('internal addresses are refused unless allowed, names resolving to them included', async () => {
    const server = await startServer();
    try {
      const user = await registerUser(server.url, 'ssrf');
      for (const url of ['http://127.0.0.1/hook', 'http://localhost:8080/hook', 'http://10.1.2.3/',
        'http://192.168.0.1/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/', 'http://0.0.0.0/',
        'http://100.64.0.1/', 'http://[::ffff:127.0.0.1]/']) {
        const r = await request(server.url, 'POST', '/v1/webhooks', { token: user.token, body: { url, events: ['interview.status'] } });
        const p = checkProblem(assert, r, 400, url);
        assert.equal(p.errors[0].field, 'url', url);
      }
      const r = await request(server.url, 'POST', '/v1/webhooks', { token: user.token, body: { url: 'http://localhost:1/', events: ['interview.status'] } });
      assert.match(checkProblem(assert, r, 400).errors[0].message, /resolves to 127\.0\.0\.1/);
    } finally {
      await server.stop();
      server.cleanup();
    }
    const allowed = await startServer({ args: ['--webhook-allow-hosts', 'localhost'] });
    try {
      const user = await registerUser(allowed.url, 'allowed');
      const ok = await request(allowed.url, 'POST', '/v1/webhooks', { token: user.token, body: { url: 'http://localhost:9/', events: ['interview.status'] } });
      assert.equal(ok.status, 201, ok.text);
      checkProblem(assert, await request(allowed.url, 'POST', '/v1/webhooks', { token: user.token, body: { url: 'http://127.0.0.1:9/', events: ['interview.status'] } }), 400);
    } finally {
      await allowed.stop();
      allowed.cleanup();
    }
  });
});
