// Cursor pagination under concurrent inserts: paging through a list while
// new items arrive neither skips nor repeats an item, and keeps the order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, registerUser, mapLimit, isAlive } from './support.mjs';

const ORIGINAL = 50;
const INSERTED = 50;
const LIMIT = 7;

// Newest first: createdAt descending, ties broken by id descending (ids are
// time-ordered UUIDv7, the order the server documents for its index).
function newerFirst(a, b) {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt ? -1 : 1;
  return a.id > b.id ? -1 : a.id < b.id ? 1 : 0;
}

for (const database of ['sqlite', 'postgresql']) {
  test(`${database}: paging with limit=${LIMIT} while ${INSERTED} inserts run concurrently skips and repeats nothing`, { timeout: 60000 }, async (t) => {
    const server = await startServer({ database, args: ['--rate-limit-user', 'off', '--rate-limit-ip', 'off', '--access-log', 'false'] });
    try {
      const { token } = await registerUser(server.url, 'paging');
      const create = async (title) => {
        const r = await request(server.url, 'POST', '/v1/interviews', { token, body: { title } });
        assert.equal(r.status, 201, r.text);
        return r.json;
      };
      // The originals, 10 at a time, so that many share a millisecond.
      const originals = await mapLimit(Array.from({ length: ORIGINAL }, (_, i) => `original ${i}`), 10, create);
      const originalIds = new Set(originals.map((o) => o.id));
      assert.equal(originalIds.size, ORIGINAL);
      const distinctMs = new Set(originals.map((o) => o.createdAt)).size;

      // The inserter runs until done; the pager pages while it runs.
      let inserted = 0;
      let pagesWhileInserting = 0;
      const inserter = (async () => {
        await mapLimit(Array.from({ length: INSERTED }, (_, i) => `inserted ${i}`), 2, async (title) => {
          await create(title);
          inserted++;
        });
      })();

      const seen = [];
      const pages = [];
      let cursor = '';
      for (let page = 0; page < 100; page++) {
        const before = inserted;
        const r = await request(server.url, 'GET', `/v1/interviews?limit=${LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
        assert.equal(r.status, 200, r.text);
        assert.ok(r.json.items.length <= LIMIT);
        if (before < INSERTED) pagesWhileInserting++;
        pages.push(r.json.items.length);
        seen.push(...r.json.items);
        if (r.json.nextCursor === null) break;
        assert.equal(typeof r.json.nextCursor, 'string');
        assert.equal(r.json.items.length, LIMIT, 'a short page that is not the last');
        cursor = r.json.nextCursor;
      }
      await inserter;
      t.diagnostic(`${database}: pages ${pages.join(',')}; ${pagesWhileInserting} of ${pages.length} fetched while inserting; ` +
        `the ${ORIGINAL} originals have ${distinctMs} distinct createdAt values; ${seen.length - ORIGINAL} new items seen`);
      assert.ok(pagesWhileInserting >= 2, `only ${pagesWhileInserting} pages overlapped the inserts`);

      // No duplicates at all.
      const ids = seen.map((i) => i.id);
      const dupes = ids.filter((id, k) => ids.indexOf(id) !== k);
      assert.deepEqual(dupes, [], 'items seen twice');
      // Every original exactly once.
      const missing = [...originalIds].filter((id) => !ids.includes(id));
      assert.deepEqual(missing, [], 'originals skipped');
      // Strictly newest first across all pages.
      for (let k = 1; k < seen.length; k++) {
        assert.equal(newerFirst(seen[k - 1], seen[k]), -1,
          `out of order at ${k}: ${JSON.stringify([seen[k - 1].createdAt, seen[k - 1].id])} then ${JSON.stringify([seen[k].createdAt, seen[k].id])}`);
      }
      // Anything new that was seen came before all originals (it is newer).
      const firstOriginal = seen.findIndex((i) => originalIds.has(i.id));
      assert.ok(seen.slice(firstOriginal).every((i) => originalIds.has(i.id)), 'a new item appeared among the originals');

      // Afterwards a fresh walk sees all 100 exactly once.
      const all = [];
      cursor = '';
      for (let page = 0; page < 100; page++) {
        const r = await request(server.url, 'GET', `/v1/interviews?limit=${LIMIT}&cursor=${encodeURIComponent(cursor)}`, { token });
        all.push(...r.json.items);
        if (!r.json.nextCursor) break;
        cursor = r.json.nextCursor;
      }
      assert.equal(all.length, ORIGINAL + INSERTED);
      assert.equal(new Set(all.map((i) => i.id)).size, ORIGINAL + INSERTED);
      assert.ok(isAlive(server));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
}
