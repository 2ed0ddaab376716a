// Starts the real binary for end-to-end tests: a temp data dir, port 0 (the
// bound address is read from the "listening" log line), SQLite or a fresh
// database on the PostgreSQL that scripts/test.sh started.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import http from 'node:http';

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
  dataDir ??= mkdtempSync(join(tmpdir(), 'companion-e2e-'));
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
