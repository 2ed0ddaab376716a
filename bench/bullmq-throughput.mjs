// The peer reference for bench/queue.sh: BullMQ on the same Redis doing the
// work BM_QueueEndToEndRedis does. The workers are up and idle first (ours
// are running when the events are committed); then the clock starts, JOBS
// no-op jobs are added with addBulk in batches of BATCH (the relay's pass),
// and WORKERS workers of CONCURRENCY each (ours: workers, concurrency)
// drain them. Completed jobs are removed, as ours are deleted on ack.
// Prints jobs per second, from the first add until the last completion.
//
//   node bench/bullmq-throughput.mjs REDIS_PORT [JOBS] [BATCH] [WORKERS] [CONCURRENCY]
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/tools/package.json', import.meta.url));
const { Queue, Worker } = require('bullmq');
const port = Number(process.argv[2]);
const jobs = Number(process.argv[3] ?? 20000);
const batchSize = Number(process.argv[4] ?? 200);
const workerCount = Number(process.argv[5] ?? 1);
const concurrency = Number(process.argv[6] ?? 16);
const connection = { host: '127.0.0.1', port };
const name = `bench-${process.pid}-${Date.now()}`;
// A bound, like the C++ benchmark's: a run that stalls fails instead of hanging.
const deadline = setTimeout(() => {
  console.error(`bullmq-throughput: not done within 120 s`);
  process.exit(1);
}, 120_000);

const queue = new Queue(name, { connection });
let done = 0;
let finish;
const finished = new Promise((resolve) => (finish = resolve));
const workers = Array.from({ length: workerCount }, () => {
  const w = new Worker(name, async () => {}, { connection, concurrency });
  w.on('completed', () => {
    if (++done === jobs) finish();
  });
  return w;
});
await Promise.all(workers.map((w) => w.waitUntilReady()));
await queue.waitUntilReady();

const started = process.hrtime.bigint();
for (let i = 0; i < jobs; i += batchSize) {
  const batch = [];
  for (let k = i; k < Math.min(i + batchSize, jobs); ++k)
    batch.push({ name: 'noop', data: { n: k }, opts: { removeOnComplete: true, removeOnFail: true } });
  await queue.addBulk(batch);
}
await finished;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(Math.round(jobs / seconds));
clearTimeout(deadline);
await Promise.all(workers.map((w) => w.close()));
await queue.obliterate({ force: true });
await queue.close();
