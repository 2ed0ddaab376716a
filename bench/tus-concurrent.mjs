// Starts one tus-js-client upload of FILE per interview id, all at once,
// and prints how many succeeded and the wall seconds.
//
//   node bench/tus-concurrent.mjs ENDPOINT TOKEN FILE CHUNK_MIB ID...
import { createRequire } from 'node:module';
import { createReadStream, statSync } from 'node:fs';

const require = createRequire(new URL('../tests/tools/package.json', import.meta.url));
const tus = require('tus-js-client');
const [endpoint, token, file, chunkMib, ...ids] = process.argv.slice(2);
const size = statSync(file).size;

const started = process.hrtime.bigint();
const results = await Promise.allSettled(
  ids.map(
    (interviewId) =>
      new Promise((resolve, reject) => {
        new tus.Upload(createReadStream(file, { highWaterMark: 1 << 20 }), {
          endpoint,
          uploadSize: size,
          chunkSize: Number(chunkMib) * 1024 * 1024,
          headers: { Authorization: `Bearer ${token}` },
          metadata: { interviewId, consent: 'self-only', filename: 'bench.wav' },
          retryDelays: [],
          onError: reject,
          onSuccess: resolve,
        }).start();
      }),
  ),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const failed = results.filter((r) => r.status === 'rejected');
for (const f of failed.slice(0, 3)) console.error(String(f.reason).slice(0, 300));
console.log(`${results.length - failed.length} ${seconds.toFixed(3)}`);
