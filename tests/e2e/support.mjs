// Starts the real binary for end-to-end tests: a temp data dir, port 0 (the
// bound address is read from the "listening" log line), SQLite or a fresh
// database on the PostgreSQL that scripts/test.sh started.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID, createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

export const BINARY = process.env.COMPANION_BINARY ?? new URL('../../build/interview-companion', import.meta.url).pathname;
export const PG_URL = process.env.COMPANION_TEST_PG_URL;

export function createPgDatabase() {
  if (!PG_URL) throw new Error('COMPANION_TEST_PG_URL is not set (scripts/test.sh starts PostgreSQL)');
  const name = `e2e_${randomUUID().replaceAll('-', '')}`;
  execFileSync('psql', [PG_URL, '-qAt', '-c', `CREATE DATABASE ${name}`]);
  return PG_URL.replace(/\/[^/]*$/, `/${name}`);
}

// Options: database ('sqlite' | 'postgresql'), args (extra flags), env.
export async function startServer({ database = 'sqlite', args = [], env = {}, dataDir } = {}) {
  const ownDir = dataDir === undefined;
  dataDir ??= mkdtempSync(join(tmpdir(), 'companion-e2e-'));
  try {
    return await launch({ database, args, env, dataDir });
  } catch (e) {
    // A server that did not start leaves nothing behind.
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

async function launch({ database, args, env, dataDir }) {
  const flags = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--log-format', 'json', ...args];
  if (database === 'postgresql') flags.push('--database-url', env.IC_DATABASE_URL ?? createPgDatabase());
  const child = spawn(BINARY, flags, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${lines.join('\n')}`)), 15000);
    const onData = (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (lines.length > 5000) lines.shift();
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'listening') {
            clearTimeout(timer);
            resolve(entry.url);
          }
        } catch {}
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (d) => lines.push(d));
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${lines.join('\n')}`)); });
  }).catch(async (e) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw e;
  });
  const u = new URL(url);
  return {
    url, port: Number(u.port), host: u.hostname, dataDir, child, lines, exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exited;
      return result;
    },
    cleanup() { rmSync(dataDir, { recursive: true, force: true }); },
  };
}

// A small HTTP client with full control over headers and bodies.
export function request(base, method, path, { token, body, rawBody, headers = {}, contentType, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const h = { Accept: 'application/json', ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload;
    if (rawBody !== undefined) payload = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody);
    else if (body !== undefined) payload = Buffer.from(JSON.stringify(body));
    if (payload !== undefined) {
      h['Content-Type'] = contentType ?? 'application/json';
      h['Content-Length'] = String(payload.length);
    }
    const req = http.request(url, { method, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch {}
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

let counter = 0;
export async function registerUser(base, prefix = 'user') {
  const email = `${prefix}-${process.pid}-${Date.now()}-${counter++}@example.com`;
  const r = await request(base, 'POST', '/v1/auth/register', {
    body: { email, password: 'correct horse battery', displayName: prefix },
  });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
  return { email, token: r.json.accessToken, refreshToken: r.json.refreshToken, user: r.json.user };
}

// ---------------------------------------------------------------------------
// Generic helpers shared by the e2e files.

export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls a condition until it holds or the deadline passes (never a fixed
// sleep for something to happen: the interval only paces the polling).
export async function until(what, predicate, { timeoutMs = 10000, intervalMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

// Runs fn over items with at most `limit` calls in flight; results in order.
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// Rejects when `promise` takes longer than ms.
export function within(ms, promise, what = 'operation') {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms); }),
  ]);
}

export function isAlive(server) {
  return server.child.exitCode === null && server.child.signalCode === null;
}

// A problem+json answer with the given status (RFC 9457 shape).
export function checkProblem(assert, res, status, what = '') {
  const label = `${what} -> ${res.status} ${res.text}`;
  assert.equal(res.status, status, label);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/, label);
  const p = typeof res.json === 'object' ? res.json : JSON.parse(res.body?.toString('utf8') ?? res.text);
  assert.equal(p.status, status, label);
  assert.equal(typeof p.type, 'string', label);
  assert.equal(typeof p.title, 'string', label);
  return p;
}

// --- JWT (HS256) for crafting tokens -------------------------------------
export const b64url = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
export function decodeJwt(token) {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) };
}
export function signJwt(payload, secret, header = { alg: 'HS256', typ: 'JWT' }) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

// --- Raw HTTP/1.1 over a socket --------------------------------------------
// Parses one response (not to HEAD) from the start of buf. Returns { response, used } or
// null when more bytes are needed. `closed` lets a body without a length end
// at EOF. headers: lower-case names; repeated ones joined with ", ".
export function parseResponse(buf, { closed = false } = {}) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(head[0]);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(head[0])}`);
  const status = Number(m[2]);
  const headers = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  let pos = end + 4;
  let body = Buffer.alloc(0);
  if (status < 200 || status === 204 || status === 304) {
    // no body
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    for (;;) {
      const le = buf.indexOf('\r\n', pos);
      if (le < 0) return null;
      const size = parseInt(buf.subarray(pos, le).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size');
      if (size === 0) {
        const te = buf.indexOf('\r\n\r\n', le);
        if (te < 0) return null;
        pos = te + 4;
        break;
      }
      if (buf.length < le + 2 + size + 2) return null;
      parts.push(buf.subarray(le + 2, le + 2 + size));
      pos = le + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (buf.length < pos + n) return null;
    body = buf.subarray(pos, pos + n);
    pos += n;
  } else {
    if (!closed) return null;
    body = buf.subarray(pos);
    pos = buf.length;
  }
  const text = body.toString('utf8');
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch {}
  return { response: { status, httpVersion: m[1], reason: m[3] ?? '', headers, body, text, json }, used: pos };
}

// One client TCP connection with a byte-exact view of what comes back.
export class RawConnection {
  static open(port, host = '127.0.0.1', timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const timer = setTimeout(() => { socket.destroy(); reject(new Error('connect timeout')); }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(new RawConnection(socket)); });
      socket.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.received = 0;
    this.isClosed = false;
    this.error = null;
    this.waiters = new Set();
    socket.on('data', (d) => { this.buffer = Buffer.concat([this.buffer, d]); this.received += d.length; this.#wake(); });
    socket.on('error', (e) => { this.error = e; this.#wake(); });
    socket.on('close', () => { this.isClosed = true; this.#wake(); });
  }

  #wake() { for (const w of [...this.waiters]) w(); }

  // Resolves when check() returns a non-undefined value, re-checking on
  // every event of the socket; rejects after timeoutMs.
  waitFor(what, check, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        let v;
        try { v = check(); } catch (e) { done(); reject(e); return; }
        if (v !== undefined) { done(); resolve(v); }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; received so far: ${JSON.stringify(this.buffer.toString('latin1').slice(0, 500))}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.waiters.delete(attempt); };
      this.waiters.add(attempt);
      attempt();
    });
  }

  write(data) {
    return new Promise((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve())));
  }

  // The next complete response (consumed from the buffer).
  response(timeoutMs = 10000) {
    return this.waitFor('a response', () => {
      const parsed = this.buffer.length ? parseResponse(this.buffer, { closed: this.isClosed }) : null;
      if (parsed) {
        this.buffer = this.buffer.subarray(parsed.used);
        return parsed.response;
      }
      if (this.isClosed) {
        throw new Error(`connection closed before a complete response (${this.error?.code ?? 'EOF'}); ` +
          `buffer: ${JSON.stringify(this.buffer.toString('latin1').slice(0, 500))}`);
      }
      return undefined;
    }, timeoutMs);
  }

  closed(timeoutMs = 10000) {
    return this.waitFor('the connection to close', () => (this.isClosed ? true : undefined), timeoutMs);
  }

  destroy() { this.socket.destroy(); }
}

// Writes `data` on a new connection and returns the first response.
export async function rawRequest(port, data, { host = '127.0.0.1', timeoutMs = 10000 } = {}) {
  const c = await RawConnection.open(port, host);
  try {
    await c.write(data).catch(() => {});
    return await c.response(timeoutMs);
  } finally {
    c.destroy();
  }
}
