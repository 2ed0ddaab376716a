// Shared by the recording e2e files: generated media, the storage/database
// setups every recording suite runs on, and raw byte access.
import assert from 'node:assert/strict';
import { test, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, rmSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';

export const ROOT = process.env.COMPANION_ROOT ?? new URL('../..', import.meta.url).pathname;

// Generates the test media once per file; removed when the file's tests end.
export function testMedia() {
  const dir = mkdtempSync(join(tmpdir(), 'companion-media-'));
  execFileSync('bash', [join(ROOT, 'scripts/make-test-media.sh'), dir], { stdio: 'ignore' });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return (name) => readFileSync(join(dir, name));
}

export const sha = (b) => createHash('sha256').update(b).digest('hex');

export const S3_ARGS = process.env.COMPANION_TEST_S3_ENDPOINT
  ? ['--storage-url', `s3://companion?endpoint=${process.env.COMPANION_TEST_S3_ENDPOINT}&region=us-east-1`]
  : null;
export const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

// SQLite and PostgreSQL on the filesystem store, and SQLite on the S3 store.
// The pipeline's stages do not run: these tests look at what an upload
// leaves (status `uploaded`), which a transcription starting at once would
// race (the pipeline has tests of its own).
const UPLOADS_ONLY = ['--workers', 'none'];
export function storageSetups() {
  const setups = [
    { name: 'sqlite + filesystem', database: 'sqlite', fs: true, args: [...UPLOADS_ONLY], env: {} },
    { name: 'postgresql + filesystem', database: 'postgresql', fs: true, args: [...UPLOADS_ONLY], env: {} },
  ];
  if (S3_ARGS) {
    setups.push({ name: 'sqlite + s3', database: 'sqlite', fs: false, args: [...UPLOADS_ONLY, ...S3_ARGS], env: S3_ENV });
  } else {
    test('the S3 variant needs COMPANION_TEST_S3_ENDPOINT (scripts/test.sh starts s3rver)', () => {
      assert.fail('COMPANION_TEST_S3_ENDPOINT is not set');
    });
  }
  return setups;
}

export function getBytes(base, token, id, headers = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(`/v1/interviews/${id}/recording`, base);
    const req = http.request(url, { headers: { Authorization: `Bearer ${token}`, ...headers }, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function allFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}
