// How long an export and an erasure take for one account with many
// interviews (no recordings), on the embedded defaults: a bounded, local
// run (loopback only). Usage:
//   COMPANION_BINARY=build/interview-companion node bench/privacy/erase_export.mjs [INTERVIEWS]
import { startServer, request, until, mapLimit } from '../../tests/e2e/support.mjs';
import { jsonLines } from '../../tests/e2e/pipeline-support.mjs';

const n = Number(process.argv[2] ?? 1000);
const server = await startServer({ args: ['--rate-limit-user', 'off', '--rate-limit-ip', 'off', '--rate-limit-auth', 'off'] });
try {
  const r = await request(server.url, 'POST', '/v1/auth/register', { body: { email: 'bench@example.com', password: 'correct horse battery', displayName: 'Bench' } });
  const token = r.json.accessToken;
  await mapLimit([...Array(n).keys()], 8, (i) => request(server.url, 'POST', '/v1/interviews', { token, body: { title: `Interview ${i}`, jobDescription: 'x'.repeat(2000) } }));

  let t0 = performance.now();
  const e = await request(server.url, 'POST', '/v1/me/exports', { token });
  let state;
  await until('export', async () => (state = (await request(server.url, 'GET', `/v1/me/exports/${e.json.id}`, { token })).json).status !== 'pending', { timeoutMs: 600000, intervalMs: 10 });
  const exportMs = performance.now() - t0;
  const rss = Number((await import('node:fs')).readFileSync(`/proc/${server.child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)[1]);

  t0 = performance.now();
  await request(server.url, 'DELETE', '/v1/me', { token, body: { password: 'correct horse battery' } });
  const answerMs = performance.now() - t0;
  await until('erasure', () => jsonLines(server.lines).some((l) => l.msg === 'erasure finished'), { timeoutMs: 600000, intervalMs: 10 });
  const eraseMs = performance.now() - t0;
  console.log(JSON.stringify({ interviews: n, export: state.status, exportMs: Math.round(exportMs), erasure202Ms: Math.round(answerMs), erasureDoneMs: Math.round(eraseMs), peakRssKiB: rss }));
} finally {
  await server.stop();
  server.cleanup();
}
