// Uploads one file with tus-js-client (the official client), streaming it
// from disk in fixed-size chunks, and prints the seconds it took.
//
//   node bench/tus-upload.mjs ENDPOINT FILE CHUNK_MIB [TOKEN] [METADATA_JSON]
import { createRequire } from 'node:module';
import { createReadStream, statSync } from 'node:fs';

const require = createRequire(new URL('../tests/tools/package.json', import.meta.url));
const tus = require('tus-js-client');
const [endpoint, file, chunkMib, token, metadata] = process.argv.slice(2);

const started = process.hrtime.bigint();
await new Promise((resolve, reject) => {
  const upload = new tus.Upload(createReadStream(file, { highWaterMark: 1 << 20 }), {
    endpoint,
    uploadSize: statSync(file).size,
    chunkSize: Number(chunkMib) * 1024 * 1024,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    metadata: metadata ? JSON.parse(metadata) : { filename: 'bench.wav' },
    retryDelays: [],
    onError: reject,
    onSuccess: resolve,
  });
  upload.start();
});
console.log((Number(process.hrtime.bigint() - started) / 1e9).toFixed(3));
