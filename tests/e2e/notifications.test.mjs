// In-app notifications and their e-mail, through the real binary and a
// real SMTP server (aiosmtpd, Debian's python3-aiosmtpd, writing a
// Maildir the test reads): list with unreadCount, read one, read all; the
// settings per type; the e-mail's content; an opt-out; a mail server that
// is down at first and the e-mail that is retried until it is up.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { startServer, request, registerUser, checkProblem, until } from './support.mjs';
import { newInterview, putRecording, waitFor, freePort } from './pipeline-support.mjs';

const FAST = ['--checkpoint-interval', '100ms', '--job-backoff', '100ms', '--relay-interval', '20ms'];
const media = mkdtempSync(join(tmpdir(), 'companion-notify-'));
after(() => rmSync(media, { recursive: true, force: true }));

const tone = await new Promise((resolve, reject) => {
  const path = join(media, 'tone.wav');
  const p = spawn('sox', ['-n', '-r', '16000', '-c', '1', path, 'synth', '1', 'sine', '300']);
  p.on('exit', (code) => (code === 0 ? resolve(readFileSync(path)) : reject(new Error(`sox ${code}`))));
});

// aiosmtpd on `port`, delivering into a Maildir.
async function startSmtp(port) {
  const dir = mkdtempSync(join(tmpdir(), 'companion-maildir-'));
  port ??= await freePort();
  const child = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`,
    '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'mail')], { stdio: 'ignore' });
  await until('the SMTP server to accept connections', () => new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  }), { timeoutMs: 10000, intervalMs: 50 });
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages() {
      const box = join(dir, 'mail', 'new');
      if (!existsSync(box)) return [];
      return readdirSync(box).map((f) => parseMail(readFileSync(join(box, f), 'utf8')));
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Headers (RFC 2047 words decoded) and the text/plain and text/html parts.
function parseMail(raw) {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const decodeWords = (v) => v.replace(/=\?UTF-8\?B\?([^?]*)\?=\s*/gi, (_, b) => Buffer.from(b, 'base64').toString('utf8'));
  headers.subject = decodeWords(headers.subject ?? '');
  const body = rest.join('\n\n');
  const boundary = /boundary="([^"]+)"/.exec(headers['content-type'] ?? '')?.[1];
  const parts = {};
  for (const section of boundary ? body.split(`--${boundary}`) : []) {
    const m = /Content-Type: (text\/\w+)[^]*?\r?\n\r?\n([^]*)/.exec(section);
    if (m) parts[m[1]] = Buffer.from(m[2].replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { headers, parts };
}

async function complete(server, token, title) {
  const id = await newInterview(server.url, token, title);
  assert.equal((await putRecording(server.url, token, id, tone)).status, 201);
  await waitFor(server.url, token, id, ['completed']);
  return id;
}

async function notifications(server, token, query = '') {
  const r = await request(server.url, 'GET', `/v1/notifications${query}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

describe('notifications and their e-mail', () => {
  let smtp;
  let server;
  before(async () => {
    smtp = await startSmtp();
    server = await startServer({
      args: [...FAST, '--smtp-url', smtp.url, '--smtp-from', 'Interview Companion <noreply@example.com>',
        '--public-url', 'https://app.example'],
    });
  });
  after(async () => {
    await server.stop();
    server.cleanup();
    await smtp.stop();
  });

  test('a completed interview leaves an unread notification and sends an e-mail that names it', async () => {
    const user = await registerUser(server.url, 'mail');
    const id = await complete(server, user.token, 'Café «onsite» <round 2>');
    await until('the notification', async () => (await notifications(server, user.token)).items.length === 1);
    const page = await notifications(server, user.token);
    assert.equal(page.unreadCount, 1);
    assert.equal(page.nextCursor, null);
    const n = page.items[0];
    assert.equal(n.type, 'interview.completed');
    assert.equal(n.interviewId, id);
    assert.equal(n.readAt, null);
    assert.match(n.title, /Café «onsite» <round 2>/);
    assert.match(n.createdAt, /Z$/);

    await until('the e-mail', async () => smtp.messages().some((m) => m.headers.to === `<${user.email}>`));
    const mail = smtp.messages().find((m) => m.headers.to === `<${user.email}>`);
    assert.equal(mail.headers.subject, n.title);
    assert.equal(mail.headers.from, 'Interview Companion <noreply@example.com>');
    assert.ok(mail.headers['message-id']);
    assert.match(mail.parts['text/plain'], new RegExp(`https://app\\.example/interviews/${id}`));
    assert.match(mail.parts['text/plain'], /Café «onsite» <round 2>/);
    assert.match(mail.parts['text/html'], new RegExp(`<a href="https://app\\.example/interviews/${id}">`));
    // The title is escaped in the HTML part.
    assert.match(mail.parts['text/html'], /&lt;round 2&gt;/);
    assert.doesNotMatch(mail.parts['text/html'], /<round 2>/);
  });

  test('read one, read all, unread filter, paging, and other users\' ids', async () => {
    const user = await registerUser(server.url, 'reader');
    for (const t of ['one', 'two', 'three']) await complete(server, user.token, t);
    await until('three notifications', async () => (await notifications(server, user.token)).items.length === 3);
    const first = await notifications(server, user.token, '?limit=2');
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    const second = await notifications(server, user.token, `?limit=2&cursor=${first.nextCursor}`);
    assert.equal(second.items.length, 1);
    assert.equal(second.nextCursor, null);
    const all = [...first.items, ...second.items];
    assert.equal(new Set(all.map((n) => n.id)).size, 3);
    assert.deepEqual(all.map((n) => n.createdAt), [...all.map((n) => n.createdAt)].sort().reverse());

    const read = await request(server.url, 'POST', `/v1/notifications/${all[1].id}/read`, { token: user.token });
    assert.equal(read.status, 200);
    assert.match(read.json.readAt, /Z$/);
    const again = await request(server.url, 'POST', `/v1/notifications/${all[1].id}/read`, { token: user.token });
    assert.equal(again.json.readAt, read.json.readAt, 'reading twice keeps the first time');
    const unread = await notifications(server, user.token, '?unread=true');
    assert.equal(unread.unreadCount, 2);
    assert.deepEqual(unread.items.map((n) => n.id), [all[0].id, all[2].id]);

    const other = await registerUser(server.url, 'other');
    checkProblem(assert, await request(server.url, 'POST', `/v1/notifications/${all[0].id}/read`, { token: other.token }), 404);
    checkProblem(assert, await request(server.url, 'POST', '/v1/notifications/nope/read', { token: user.token }), 404);
    checkProblem(assert, await request(server.url, 'GET', '/v1/notifications?unread=maybe', { token: user.token }), 400);
    checkProblem(assert, await request(server.url, 'GET', '/v1/notifications?cursor=%%%', { token: user.token }), 400);
    assert.equal((await notifications(server, other.token)).items.length, 0);

    assert.equal((await request(server.url, 'POST', '/v1/notifications/read-all', { token: user.token })).status, 204);
    const none = await notifications(server, user.token, '?unread=true');
    assert.equal(none.unreadCount, 0);
    assert.equal(none.items.length, 0);
  });

  test('settings list every type; an opted-out type still notifies in-app but sends no e-mail', async () => {
    const user = await registerUser(server.url, 'optout');
    const get = await request(server.url, 'GET', '/v1/me/notification-settings', { token: user.token });
    assert.equal(get.status, 200);
    assert.deepEqual(get.json, { email: { 'interview.completed': true, 'interview.failed': true, 'webhook.disabled': false, 'billing.payment_failed': true, 'billing.plan_changed': true, 'billing.usage_limit': true } });
    const patch = await request(server.url, 'PATCH', '/v1/me/notification-settings',
      { token: user.token, body: { email: { 'interview.completed': false } } });
    assert.equal(patch.status, 200, patch.text);
    assert.deepEqual(patch.json, { email: { 'interview.completed': false, 'interview.failed': true, 'webhook.disabled': false, 'billing.payment_failed': true, 'billing.plan_changed': true, 'billing.usage_limit': true } });
    checkProblem(assert, await request(server.url, 'PATCH', '/v1/me/notification-settings',
      { token: user.token, body: { email: { 'interview.exploded': true } } }), 400);
    checkProblem(assert, await request(server.url, 'PATCH', '/v1/me/notification-settings',
      { token: user.token, body: { email: { 'interview.failed': 'yes' } } }), 400);
    checkProblem(assert, await request(server.url, 'PATCH', '/v1/me/notification-settings',
      { token: user.token, body: { sms: {} } }), 400);

    await complete(server, user.token, 'Quiet');
    await until('the notification', async () => (await notifications(server, user.token)).items.length === 1);
    // Its e-mail was decided with it (none); a later user's e-mail arriving
    // shows the mail server is working meanwhile.
    const witness = await registerUser(server.url, 'witness');
    await complete(server, witness.token, 'Loud');
    await until('the witness e-mail', async () => smtp.messages().some((m) => m.headers.to === `<${witness.email}>`));
    assert.equal(smtp.messages().filter((m) => m.headers.to === `<${user.email}>`).length, 0);
  });
});

test('an e-mail the mail server could not take at first is retried until it can', async () => {
  const port = await freePort();
  const server = await startServer({ args: [...FAST, '--job-attempts', '12', '--smtp-url', `smtp://127.0.0.1:${port}`] });
  let smtp;
  try {
    const user = await registerUser(server.url, 'retry');
    await complete(server, user.token, 'Patience');
    await until('the notification', async () => (await notifications(server, user.token)).items.length === 1);
    await until('a failed delivery attempt', async () => server.lines.some((l) => l.includes('the mail server did not take')));
    smtp = await startSmtp(port);
    await until('the e-mail', async () => smtp.messages().some((m) => m.headers.to === `<${user.email}>`), { timeoutMs: 60000 });
    // Once, however many attempts it took.
    assert.equal(smtp.messages().filter((m) => m.headers.to === `<${user.email}>`).length, 1);
    assert.equal((await notifications(server, user.token)).items.length, 1);
  } finally {
    await server.stop();
    server.cleanup();
    await smtp?.stop();
  }
});
