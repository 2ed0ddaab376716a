// Idempotency-Key under concurrency: one creation per (user, key), replays
// carry the first response, a different body is refused, keys are per user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, request, registerUser, checkProblem, isAlive } from './support.mjs';

const CONCURRENT = 20;

async function allInterviews(base, token) {
  const items = [];
  let cursor = '';
  for (let page = 0; page < 100; page++) {
    const r = await request(base, 'GET', `/v1/interviews?limit=100&cursor=${encodeURIComponent(cursor)}`, { token });
    assert.equal(r.status, 200, r.text);
    items.push(...r.json.items);
    if (!r.json.nextCursor) return items;
    cursor = r.json.nextCursor;
  }
  throw new Error('more than 100 pages');
}

for (const database of ['sqlite', 'postgresql']) {
  test(`${database}: ${CONCURRENT} concurrent POSTs with one Idempotency-Key create exactly one interview`, { timeout: 60000 }, async (t) => {
    const server = await startServer({ database });
    try {
      const alice = await registerUser(server.url, 'idem-alice');
      const bob = await registerUser(server.url, 'idem-bob');
      const key = `key-${randomUUID()}`;
      const title = `idempotent ${key}`;
      const body = { title, company: 'Acme', role: 'Engineer' };
      const post = (token, b = body, k = key) =>
        request(server.url, 'POST', '/v1/interviews', { token, body: b, headers: { 'Idempotency-Key': k } });

      const results = await Promise.all(Array.from({ length: CONCURRENT }, () => post(alice.token)));
      const summary = results.map((r) => `${r.status}${r.headers['idempotent-replayed'] ? 'R' : ''}`).join(' ');
      t.diagnostic(`${database}: statuses (R = replay): ${summary}`);
      const created = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
      const replays = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] !== undefined);
      const inFlight = results.filter((r) => r.status === 409);
      assert.equal(created.length, 1, `exactly one original 201: ${summary}`);
      assert.equal(created.length + replays.length + inFlight.length, CONCURRENT, `only 201 or 409: ${summary}`);
      const id = created[0].json.id;
      assert.equal(created[0].headers.location, `/v1/interviews/${id}`);
      for (const r of replays) {
        assert.equal(r.headers['idempotent-replayed'], 'true');
        assert.equal(r.json.id, id, 'a replay names another interview');
        assert.deepEqual(r.json, created[0].json, 'a replay differs from the first response');
        assert.equal(r.headers.location, `/v1/interviews/${id}`);
      }
      for (const r of inFlight) checkProblem(assert, r, 409, 'concurrent duplicate');

      // Afterwards: exactly one interview with that title.
      const mine = (await allInterviews(server.url, alice.token)).filter((i) => i.title === title);
      assert.deepEqual(mine.map((i) => i.id), [id], `interviews titled ${title}`);

      // Once finished, a retry is a replay of the same response.
      const retry = await post(alice.token);
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.json, created[0].json);

      // Same key, different body -> 422, and nothing is created.
      const mismatch = await post(alice.token, { ...body, title: `${title} (changed)` });
      checkProblem(assert, mismatch, 422, 'same key, different body');
      // Concurrent mismatches are all refused too.
      const mismatches = await Promise.all(Array.from({ length: 5 }, (_, i) => post(alice.token, { title: `other ${i}` })));
      for (const r of mismatches) checkProblem(assert, r, 422, 'concurrent mismatch');
      const after = await allInterviews(server.url, alice.token);
      assert.equal(after.length, 1, `alice has ${after.length} interviews: ${after.map((i) => i.title).join(', ')}`);

      // Keys are per user: Bob, with the same key and body, gets his own.
      const bobs = await Promise.all(Array.from({ length: 5 }, () => post(bob.token)));
      const bobCreated = bobs.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
      assert.equal(bobCreated.length, 1, `bob: ${bobs.map((r) => r.status).join(' ')}`);
      assert.notEqual(bobCreated[0].json.id, id);
      assert.ok(bobs.every((r) => r.status === 409 || (r.status === 201 && r.json.id === bobCreated[0].json.id)));
      const bobList = await allInterviews(server.url, bob.token);
      assert.deepEqual(bobList.map((i) => i.id), [bobCreated[0].json.id]);
      // Neither can see the other's.
      assert.equal((await request(server.url, 'GET', `/v1/interviews/${id}`, { token: bob.token })).status, 404);
      // And Alice's key still replays Alice's response.
      assert.equal((await post(alice.token)).json.id, id);

      // A request that fails is not remembered: the same key may be retried.
      const badKey = `bad-${randomUUID()}`;
      const invalid = await post(alice.token, { title: '' }, badKey);
      assert.equal(invalid.status, 400, invalid.text);
      const fixed = await post(alice.token, { title: 'fixed' }, badKey);
      assert.equal(fixed.status, 201, fixed.text);
      assert.equal(fixed.headers['idempotent-replayed'], undefined);

      // A key that is not 1..255 visible ASCII characters -> 400.
      for (const k of ['x'.repeat(256), 'has space']) {
        checkProblem(assert, await post(alice.token, body, k), 400, `Idempotency-Key ${k.slice(0, 20)}`);
      }
      assert.ok(isAlive(server));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
}
