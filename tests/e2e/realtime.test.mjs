// Realtime updates through the real binary with real clients: a WebSocket
// (`ws` from npm) and Server-Sent Events. An upload is followed from
// `uploading` to `completed` in order; a client that disconnects, or whose
// server restarts, resumes without gap or duplicate; tickets, origins,
// sign-out, shutdown and a client too slow to read; two `serve` processes
// and a `worker` fanning out through a real Redis.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { startServer, request, registerUser, checkProblem, BINARY, until } from './support.mjs';
import {
  startRedis, newInterview, putRecording, waitFor, repeatWav, makeDialog, ROOT,
} from './pipeline-support.mjs';

const WebSocket = createRequire(join(ROOT, 'tests/tools/package.json'))('ws');

const FAST = ['--checkpoint-interval', '100ms', '--job-backoff', '100ms', '--relay-interval', '20ms'];
const OPEN = ['--rate-limit-ip', 'off', '--rate-limit-user', 'off'];

const media = mkdtempSync(join(tmpdir(), 'companion-realtime-'));
after(() => rmSync(media, { recursive: true, force: true }));
const dialog = makeDialog(media);
// Long enough for the transcription to report progress on the way.
const recording = readFileSync(repeatWav(media, dialog, 2, join(media, 'twice.wav')));

// A WebSocket client that keeps every message it gets.
class Client {
  constructor(url, options = {}) {
    this.messages = [];
    this.waiters = [];
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()));
      this.wake();
    });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => { resolve({ code, reason: reason.toString() }); this.wake(); });
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', resolve);
      this.ws.on('unexpected-response', (req, res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => reject(Object.assign(new Error(`handshake ${res.statusCode}`), { status: res.statusCode, body })));
      });
      this.ws.on('error', reject);
    });
  }
  wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  send(message) { this.ws.send(JSON.stringify(message)); }
  events() { return this.messages.filter((m) => m.type === 'event').map((m) => m.event); }
  stored() { return this.events().filter((e) => e.seq !== null); }
  // Waits until predicate(this) holds (each message re-checks it).
  async until(what, predicate, timeoutMs = 60000) {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(-5))}`);
      await new Promise((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
  close() { this.ws.close(); return this.closed; }
}

async function ticket(base, token) {
  const r = await request(base, 'POST', '/v1/realtime/tickets', { token });
  assert.equal(r.status, 201, r.text);
  assert.ok(r.json.expiresIn <= 60);
  return r.json.ticket;
}

async function connect(server, token, options) {
  const t = await ticket(server.url, token);
  const client = new Client(`ws://${server.host}:${server.port}/v1/ws?ticket=${t}`, options);
  await client.opened;
  return client;
}

function wsUrl(server, query = '') { return `ws://${server.host}:${server.port}/v1/ws${query}`; }

const completed = (c) => c.events().some((e) => e.type === 'notification.created');

// Stored events are numbered 1, 2, 3… without gap or duplicate.
function assertContiguous(events, from = 1) {
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => from + i), JSON.stringify(events.map((e) => [e.seq, e.type])));
}

// One SSE response read as frames ({ id, event, data }) until `enough(frames)`.
function readSse(server, path, { token, headers = {}, enough }) {
  return new Promise((resolve, reject) => {
    const h = { Accept: 'text/event-stream', ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    const req = http.get(new URL(path, server.url), { headers: h }, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
        return;
      }
      const frames = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) { frame.comment = line; continue; }
            const colon = line.indexOf(':');
            const [k, v] = [line.slice(0, colon), line.slice(colon + 1).trimStart()];
            if (k === 'data') frame.data = JSON.parse(v);
            else frame[k] = v;
          }
          frames.push(frame);
        }
        if (enough(frames)) {
          req.destroy();
          resolve({ status: 200, headers: res.headers, frames });
        }
      });
      res.on('end', () => resolve({ status: 200, headers: res.headers, frames, ended: true }));
    });
    req.setTimeout(60000, () => req.destroy(new Error('SSE timeout')));
    req.on('error', (e) => { if (e.code !== 'ECONNRESET') reject(e); });
  });
}

describe('realtime over WebSocket and SSE', () => {
  let server;
  let user;
  let interview;
  let live;
  before(async () => {
    server = await startServer({ args: [...FAST, ...OPEN] });
    user = await registerUser(server.url, 'rt');
  });
  after(async () => {
    live?.ws.terminate();
    await server.stop();
    server.cleanup();
  });

  test('an upload is seen from uploading to completed, in order, with progress', async () => {
    live = await connect(server, user.token);
    live.send({ type: 'subscribe', interviewId: null, resumeFrom: 0 });
    await live.until('subscribed', (c) => c.messages.some((m) => m.type === 'subscribed'));
    assert.deepEqual(live.messages[0], { type: 'subscribed', interviewId: null, seq: 0 });
    interview = await newInterview(server.url, user.token, 'Realtime round');
    const up = await putRecording(server.url, user.token, interview, recording);
    assert.equal(up.status, 201, up.text);
    await live.until('the completion notification', completed);

    const stored = live.stored();
    assertContiguous(stored);
    const statuses = stored.filter((e) => e.type === 'interview.status').map((e) => e.data.status);
    assert.deepEqual(statuses, ['uploading', 'uploaded', 'transcribing', 'analyzing', 'completed']);
    const previous = stored.filter((e) => e.type === 'interview.status').map((e) => e.data.previous);
    assert.deepEqual(previous, ['created', 'uploading', 'uploaded', 'transcribing', 'analyzing']);
    const done = stored.find((e) => e.type === 'interview.completed');
    assert.equal(done.data.title, 'Realtime round');
    assert.equal(done.interviewId, interview);
    const note = stored.find((e) => e.type === 'notification.created');
    assert.equal(note.data.type, 'interview.completed');
    assert.match(note.data.title, /Realtime round/);
    for (const e of stored) assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // Progress ticks are not stored (seq null) and arrive while transcribing.
    const all = live.events();
    const progress = all.filter((e) => e.type === 'interview.progress');
    assert.ok(progress.length > 0, 'progress ticks');
    for (const p of progress) {
      assert.equal(p.seq, null);
      assert.equal(p.data.stage, 'transcribe');
      assert.ok(p.data.percent >= 0 && p.data.percent <= 100);
    }
    const first = all.findIndex((e) => e.type === 'interview.progress');
    const transcribing = all.findIndex((e) => e.data.status === 'transcribing');
    const analyzing = all.findIndex((e) => e.data.status === 'analyzing');
    assert.ok(transcribing < first && first < analyzing, 'progress between transcribing and analyzing');
  });

  test('a client that resumes gets every event after its seq, once, and the in-app notification is listed', async () => {
    const total = live.stored().length;
    const resumed = await connect(server, user.token);
    resumed.send({ type: 'subscribe', interviewId: interview, resumeFrom: 2 });
    await resumed.until('the replay', (c) => c.stored().length === total - 2);
    assertContiguous(resumed.stored(), 3);
    assert.deepEqual(resumed.messages[0], { type: 'subscribed', interviewId: interview, seq: total });
    // A subscription to another interview sees none of these.
    const other = await connect(server, user.token);
    other.send({ type: 'subscribe', interviewId: '01900000-0000-7000-8000-000000000000', resumeFrom: 0 });
    await other.until('subscribed', (c) => c.messages.length === 1);
    await resumed.close();
    await other.close();
    assert.deepEqual(other.messages.map((m) => m.type), ['subscribed']);

    const list = await request(server.url, 'GET', '/v1/notifications?unread=true', { token: user.token });
    assert.equal(list.status, 200);
    assert.equal(list.json.unreadCount, 1);
    assert.equal(list.json.items[0].id, live.stored().at(-1).data.id);
  });

  test('SSE: the same events, Last-Event-ID resumes, a filter per interview', async () => {
    const total = live.stored().length;
    const r = await readSse(server, '/v1/events', {
      token: user.token, headers: { 'Last-Event-ID': '1' },
      enough: (frames) => frames.filter((f) => f.id).length === total - 1,
    });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/event-stream/);
    assert.ok(r.headers['x-request-id']);
    const events = r.frames.filter((f) => f.id);
    assert.deepEqual(events.map((f) => Number(f.id)), events.map((_, i) => i + 2));
    for (const f of events) {
      assert.equal(f.event, f.data.type);
      assert.equal(f.data.seq, Number(f.id));
    }
    const filtered = await readSse(server, `/v1/events?interviewId=${interview}`, {
      token: user.token, headers: { 'Last-Event-ID': String(total - 1) },
      enough: (frames) => frames.some((f) => f.id),
    });
    assert.equal(filtered.frames.find((f) => f.id).data.seq, total);
    // Ticket auth works for EventSource too; bad input is a problem.
    const t = await ticket(server.url, user.token);
    const byTicket = await readSse(server, `/v1/events?ticket=${t}`, {
      headers: { 'Last-Event-ID': String(total - 1) }, enough: (frames) => frames.some((f) => f.id),
    });
    assert.equal(byTicket.status, 200);
    const bad = await request(server.url, 'GET', '/v1/events', { token: user.token, headers: { 'Last-Event-ID': 'abc' } });
    checkProblem(assert, bad, 400);
    checkProblem(assert, await request(server.url, 'GET', '/v1/events'), 401);
  });

  test('tickets: unknown, reused and expired ones are refused at the handshake; a bearer works', async () => {
    const unknown = new Client(wsUrl(server, '?ticket=not-a-ticket'));
    await assert.rejects(unknown.opened, (e) => e.status === 401);
    const none = new Client(wsUrl(server));
    await assert.rejects(none.opened, (e) => e.status === 401);
    const t = await ticket(server.url, user.token);
    const first = new Client(wsUrl(server, `?ticket=${t}`));
    await first.opened;
    const second = new Client(wsUrl(server, `?ticket=${t}`));
    await assert.rejects(second.opened, (e) => e.status === 401 && /problem|ticket/.test(e.body));
    await first.close();
    const bearer = new Client(wsUrl(server), { headers: { Authorization: `Bearer ${user.token}` } });
    await bearer.opened;
    bearer.send({ type: 'subscribe', interviewId: null });
    await bearer.until('subscribed', (c) => c.messages.length === 1);
    assert.equal(bearer.messages[0].seq, live.stored().length);
    // Bad messages get an error and the connection stays.
    bearer.send({ type: 'dance' });
    bearer.ws.send('not json');
    bearer.send({ type: 'subscribe', interviewId: 'nope' });
    bearer.send({ type: 'subscribe', interviewId: null, resumeFrom: -1 });
    await bearer.until('four errors', (c) => c.messages.filter((m) => m.type === 'error').length === 4);
    for (const m of bearer.messages.filter((x) => x.type === 'error')) assert.equal(m.code, 'invalid-message');
    // A message the server reads in several pieces (here 8 KB of spaces
    // inside the JSON) is one message: an unsubscribe, which answers nothing.
    bearer.ws.send(`{"type":"unsubscribe",${' '.repeat(8000)}"interviewId":"01900000-0000-7000-8000-000000000000"}`);
    bearer.ws.send(`{"type":"dance",${' '.repeat(300)}"x":1}`);
    await bearer.until('the fifth error', (c) => c.messages.filter((m) => m.type === 'error').length === 5);
    assert.match(bearer.messages.at(-1).message, /Unknown message type/);
    // A message over the limit closes with 1009.
    bearer.ws.send('x'.repeat(20000));
    assert.equal((await bearer.closed).code, 1009);
    const bad = new Client(wsUrl(server), { headers: { Authorization: 'Bearer nope' } });
    await assert.rejects(bad.opened, (e) => e.status === 401);
    // Not an upgrade: a problem, not a hang.
    checkProblem(assert, await request(server.url, 'GET', '/v1/ws', { token: user.token }), 400);

    const short = await startServer({ args: ['--stream-ticket-ttl', '20ms'] });
    try {
      const u = await registerUser(short.url, 'expiry');
      const expired = await ticket(short.url, u.token);
      // Expiry is a matter of time: let 20 ms pass.
      await new Promise((r) => setTimeout(r, 50));
      const late = new Client(wsUrl(short, `?ticket=${expired}`));
      await assert.rejects(late.opened, (e) => e.status === 401);
    } finally {
      await short.stop();
      short.cleanup();
    }
  });

  test('signing out closes the session\'s sockets with 4001; other sessions stay', async () => {
    const login = await request(server.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: 'correct horse battery' } });
    assert.equal(login.status, 200);
    const mine = await connect(server, login.json.accessToken);
    const out = await request(server.url, 'POST', '/v1/auth/logout', { token: login.json.accessToken });
    assert.equal(out.status, 204);
    assert.equal((await mine.closed).code, 4001);
    assert.equal(live.ws.readyState, WebSocket.OPEN);
  });
});

describe('realtime across restarts and slow clients', () => {
  test('a server restart: open sockets close with 1001, and resuming after it loses nothing', async () => {
    const server = await startServer({ args: [...FAST, ...OPEN] });
    let again;
    try {
      const user = await registerUser(server.url, 'restart');
      const client = await connect(server, user.token);
      client.send({ type: 'subscribe', interviewId: null, resumeFrom: 0 });
      const id = await newInterview(server.url, user.token, 'Before restart');
      assert.equal((await putRecording(server.url, user.token, id, recording)).status, 201);
      await client.until('completed', completed);
      const before = client.stored();
      await server.stop();
      assert.equal((await client.closed).code, 1001);

      again = await startServer({ args: [...FAST, ...OPEN], dataDir: server.dataDir });
      const back = await connect(again, user.token);
      back.send({ type: 'subscribe', interviewId: null, resumeFrom: 0 });
      await back.until('the replay', (c) => c.stored().length === before.length);
      assert.deepEqual(back.stored(), before);
      // And live from there: a new interview's first status follows at once.
      const next = await newInterview(again.url, user.token, 'After restart');
      assert.equal((await putRecording(again.url, user.token, next, recording)).status, 201);
      await back.until('the next events', (c) => c.stored().length >= before.length + 2);
      assertContiguous(back.stored());
      back.ws.terminate();
    } finally {
      if (again) await again.stop();
      server.cleanup();
    }
  });

  test('a client that drops mid-way and resumes from its last seq misses nothing and sees nothing twice', async () => {
    const server = await startServer({ args: [...FAST, ...OPEN] });
    try {
      const user = await registerUser(server.url, 'dropped');
      const first = await connect(server, user.token);
      first.send({ type: 'subscribe', interviewId: null, resumeFrom: 0 });
      await first.until('subscribed', (c) => c.messages.length >= 1);
      const id = await newInterview(server.url, user.token, 'Dropped midway');
      assert.equal((await putRecording(server.url, user.token, id, recording)).status, 201);
      await first.until('transcribing', (c) => c.stored().some((e) => e.data.status === 'transcribing'));
      first.ws.terminate();
      await first.closed;
      const before = first.stored();
      const last = before.at(-1).seq;
      const back = await connect(server, user.token);
      back.send({ type: 'subscribe', interviewId: null, resumeFrom: last });
      // (Should the run have ended before the drop, there is nothing to replay.)
      await back.until('completed', (c) => completed(c) || completed(first));
      const all = [...before, ...back.stored()];
      assertContiguous(all);
      const statuses = all.filter((e) => e.type === 'interview.status').map((e) => e.data.status);
      assert.deepEqual(statuses, ['uploading', 'uploaded', 'transcribing', 'analyzing', 'completed']);
      back.ws.terminate();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test('a client that stops reading is closed with 4008 and resumes from its last seq', async () => {
    const server = await startServer({
      args: [...OPEN, '--workers', 'none', '--stream-send-queue', '8', '--stream-send-timeout', '120s'],
    });
    try {
      const user = await registerUser(server.url, 'slow');
      const id = await newInterview(server.url, user.token, 'Slow reader');
      assert.equal((await putRecording(server.url, user.token, id, recording)).status, 201);
      const slow = await connect(server, user.token);
      slow.send({ type: 'subscribe', interviewId: null });
      await slow.until('subscribed', (c) => c.messages.length === 1);
      slow.ws._socket.pause();
      // Cancel and retry (no worker picks the run up): two stored events a
      // round, about 450 KB in all, more than the socket buffers hold
      // (64 KiB on the server's side) while the client reads nothing.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const rounds = 1000;
      for (let i = 0; i < rounds; ++i) {
        assert.equal((await request(server.url, 'POST', `/v1/interviews/${id}/cancel`, { token: user.token, agent })).status, 200);
        assert.equal((await request(server.url, 'POST', `/v1/interviews/${id}/retry`, { token: user.token, agent })).status, 202);
      }
      agent.destroy();
      slow.ws._socket.resume();
      const closed = await slow.closed;
      assert.equal(closed.code, 4008);
      const got = slow.stored();
      assertContiguous(got, 3);  // created -> uploading -> uploaded came before
      const last = got.length ? got.at(-1).seq : 2;
      const back = await connect(server, user.token);
      back.send({ type: 'subscribe', interviewId: null, resumeFrom: last });
      const total = 2 + rounds * 2;
      await back.until('the rest', (c) => c.stored().length === total - last);
      assertContiguous(back.stored(), last + 1);
      back.ws.terminate();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test('a resume from before the pruned range is told to resync', async () => {
    const server = await startServer({ args: [...OPEN, '--event-retention', '1ms', '--workers', 'none'] });
    try {
      const user = await registerUser(server.url, 'resync');
      const id = await newInterview(server.url, user.token, 'Old');
      assert.equal((await putRecording(server.url, user.token, id, recording)).status, 201);
      // The pruner runs at start and hourly: restart it to prune now.
      await server.stop();
      const again = await startServer({ args: [...OPEN, '--event-retention', '1ms', '--workers', 'none'], dataDir: server.dataDir });
      try {
        // The pruner runs when the server starts: poll until it has.
        let answer;
        await until('the events to be pruned', async () => {
          const c = await connect(again, user.token);
          c.send({ type: 'subscribe', interviewId: null, resumeFrom: 0 });
          await c.until('an answer', (x) => x.messages.some((m) => m.type === 'resync') || x.stored().length === 2);
          c.ws.terminate();
          answer = c.messages;
          return answer.some((m) => m.type === 'resync');
        }, { timeoutMs: 10000, intervalMs: 50 });
        assert.equal(answer[0].type, 'subscribed');
        const resync = answer.find((m) => m.type === 'resync');
        assert.equal(resync.seq, 2);
        assert.match(resync.message, /no longer kept/);
      } finally {
        await again.stop();
      }
    } finally {
      server.cleanup();
    }
  });
});

describe('heartbeats', () => {
  test('a quiet client that answers pings stays; one that does not is dropped after the idle timeout', async () => {
    const server = await startServer({ args: [...OPEN, '--workers', 'none', '--ws-idle-timeout', '4s'] });
    try {
      const user = await registerUser(server.url, 'heartbeat');
      const alive = await connect(server, user.token);
      const mute = await connect(server, user.token, { autoPong: false });
      const pinged = new Promise((resolve) => alive.ws.once('ping', resolve));
      const mutePinged = new Promise((resolve) => mute.ws.once('ping', resolve));
      await Promise.all([pinged, mutePinged]);
      // Dropped without a close frame, as a dead peer would be.
      assert.equal((await mute.closed).code, 1006);
      assert.equal(alive.ws.readyState, WebSocket.OPEN);
      alive.ws.terminate();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});

describe('origins', () => {
  test('a browser origin not allowed is refused; an allowed one and none are not', async () => {
    const server = await startServer({ args: ['--allowed-origins', 'https://app.example'] });
    try {
      const user = await registerUser(server.url, 'origin');
      const evil = new Client(wsUrl(server, `?ticket=${await ticket(server.url, user.token)}`), { origin: 'https://evil.example' });
      await assert.rejects(evil.opened, (e) => e.status === 403);
      const good = new Client(wsUrl(server, `?ticket=${await ticket(server.url, user.token)}`), { origin: 'https://app.example' });
      await good.opened;
      good.ws.terminate();
      const plain = new Client(wsUrl(server, `?ticket=${await ticket(server.url, user.token)}`));
      await plain.opened;
      plain.ws.terminate();
      const sse = await request(server.url, 'GET', '/v1/events', { token: user.token, headers: { Origin: 'https://evil.example' } });
      checkProblem(assert, sse, 403);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});

describe('fan-out across processes through Redis', () => {
  test('two serve processes and a worker: a client on either sees what the worker did', async () => {
    const redis = await startRedis();
    const a = await startServer({ args: [...FAST, ...OPEN, '--queue-url', redis.url, '--workers', 'none'] });
    const b = await startServer({ args: [...FAST, ...OPEN, '--queue-url', redis.url, '--workers', 'none'], dataDir: a.dataDir });
    const worker = spawn(BINARY, ['worker', '--data-dir', a.dataDir, '--queue-url', redis.url, '--log-format', 'json', ...FAST],
      { env: { PATH: process.env.PATH }, stdio: 'ignore' });
    const workerExited = new Promise((r) => worker.once('exit', r));
    try {
      const user = await registerUser(a.url, 'fanout');
      const onA = await connect(a, user.token);
      const onB = await connect(b, user.token);
      onA.send({ type: 'subscribe', interviewId: null });
      onB.send({ type: 'subscribe', interviewId: null });
      await onA.until('subscribed', (c) => c.messages.length === 1);
      await onB.until('subscribed', (c) => c.messages.length === 1);
      const id = await newInterview(b.url, user.token, 'Fan-out');
      assert.equal((await putRecording(a.url, user.token, id, recording)).status, 201);
      await onA.until('completed', completed);
      await onB.until('completed', completed);
      assert.deepEqual(onB.stored(), onA.stored());
      assertContiguous(onB.stored());
      assert.ok(onB.events().some((e) => e.type === 'interview.progress'), 'progress from the worker reaches serve b');
      onA.ws.terminate();
      onB.ws.terminate();
    } finally {
      worker.kill('SIGTERM');
      await workerExited;
      await a.stop();
      await b.stop();
      a.cleanup();
      await redis.stop();
    }
  });
});
