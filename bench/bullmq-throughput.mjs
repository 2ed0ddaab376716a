// The peer reference for bench/queue.sh: BullMQ on the same Redis, the same
// work as BM_QueueRedisStreams (N no-op jobs added in batches of 100, then
// drained by 4 workers). Prints jobs per second.
//
//   node bench/bullmq-throughput.mjs REDIS_PORT [JOBS]
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/tools/package.json', import.meta.url));
const { Queue, Worker } = require('bullmq');
const port = Number(process.argv[2]);
const jobs = Number(process.argv[3] ?? 20000);
const connection = { host: '127.0.0.1', port };
const name = `bench-${process.pid}-${Date.now()}`;

const queue = new Queue(name, { connection });
const started = process.hrtime.bigint();
for (let i = 0; i < jobs; i += 100) {
  const batch = [];
  for (let k = i; k < Math.min(i + 100, jobs); ++k)
    batch.push({ name: 'noop', data: { n: k }, opts: { removeOnComplete: true, removeOnFail: true } });
  await queue.addBulk(batch);
}
let done = 0;
const finished = new Promise((resolve) => {
  const workers = Array.from({ length: 4 }, () => {
    const w = new Worker(name, async () => {}, { connection, concurrency: 1 });
    w.on('completed', () => {
      if (++done === jobs) resolve(workers);
    });
    return w;
  });
});
const workers = await finished;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(Math.round(jobs / seconds));
await Promise.all(workers.map((w) => w.close()));
await queue.obliterate({ force: true });
await queue.close();
