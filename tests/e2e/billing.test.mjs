// Billing end to end (the real binary, a local fake of Stripe's API, events
// signed by the official stripe npm package): plans and usage, Checkout and
// the portal with idempotency keys and retries, signed webhooks that are
// refused when tampered or stale, applied once when replayed, and that
// converge when they arrive out of order; dunning and plan notices; quotas
// on uploads (402 with limit and used) and a recording longer than what is
// left failing clearly with nothing counted; fair scheduling across users.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, request, registerUser, checkProblem, until } from './support.mjs';
import { newInterview, putRecording, getInterview, waitFor, repeatWav, makeDialog, ROOT } from './pipeline-support.mjs';
import { startFakeStripe, SECRET_KEY } from '../fakes/stripe-api.mjs';

const Stripe = createRequire(join(ROOT, 'tests/tools/package.json'))('stripe');
const stripe = new Stripe(SECRET_KEY);
const WEBHOOK_SECRET = 'whsec_e2e_0123456789abcdef';

const media = mkdtempSync(join(tmpdir(), 'companion-billing-'));
after(() => rmSync(media, { recursive: true, force: true }));
const tone = (seconds, name) => {
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', join(media, name), 'synth', String(seconds), 'sine', '300']);
  return readFileSync(join(media, name));
};
const short = tone(1, 'short.wav');

const PLANS = [
  { id: 'free', name: 'Free', monthlyMinutes: 2, maxUploadBytes: 2000000, retentionDays: 30, concurrentJobs: 2, maxRecordingMinutes: null, priceId: null },
  { id: 'pro', name: 'Pro', monthlyMinutes: 300, maxUploadBytes: 50000000, retentionDays: 365, concurrentJobs: 25, maxRecordingMinutes: 120, priceId: 'price_pro' },
];
const FAST = ['--checkpoint-interval', '100ms', '--job-backoff', '100ms', '--relay-interval', '20ms'];
const now = () => Math.floor(Date.now() / 1000);

function signed(event, { secret = WEBHOOK_SECRET, timestamp } = {}) {
  const payload = JSON.stringify(event);
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });
  return { payload, header };
}

function deliver(server, { payload, header }) {
  return request(server.url, 'POST', '/v1/billing/webhooks/stripe', {
    rawBody: payload, contentType: 'application/json; charset=utf-8',
    headers: header === undefined ? {} : { 'Stripe-Signature': header },
  });
}

let nextEvent = 1;
function event(type, object) {
  return { id: `evt_e2e_${process.pid}_${nextEvent++}`, object: 'event', api_version: '2024-06-20', created: now(), type, data: { object } };
}

const subscription = (server, token) => request(server.url, 'GET', '/v1/billing/subscription', { token });
const notices = async (server, token) =>
  (await request(server.url, 'GET', '/v1/notifications', { token })).json.items;

describe('billing with Stripe', () => {
  let fake;
  let server;
  before(async () => {
    fake = await startFakeStripe();
    const plans = join(media, 'plans.json');
    writeFileSync(plans, JSON.stringify(PLANS));
    server = await startServer({
      args: [...FAST, '--plans-file', plans, '--stripe-api-base', fake.url],
      env: { IC_STRIPE_SECRET_KEY: SECRET_KEY, IC_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
    await fake?.close();
  });

  test('the plans are listed without a token, and a new user is on the free plan', async () => {
    const plans = await request(server.url, 'GET', '/v1/billing/plans');
    assert.equal(plans.status, 200);
    assert.deepEqual(plans.json.items, PLANS);
    const user = await registerUser(server.url, 'plans');
    const s = await subscription(server, user.token);
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.plan, 'free');
    assert.equal(s.json.status, 'active');
    assert.equal(s.json.cancelAtPeriodEnd, false);
    assert.deepEqual(Object.keys(s.json.usage).sort(), ['limitMinutes', 'minutes', 'periodEnd', 'periodStart']);
    assert.equal(s.json.usage.minutes, 0);
    assert.equal(s.json.usage.limitMinutes, 2);
    const start = new Date(s.json.usage.periodStart);
    assert.equal(start.getUTCDate(), 1);
    assert.equal(s.json.currentPeriodEnd, s.json.usage.periodEnd);
    checkProblem(assert, await request(server.url, 'GET', '/v1/billing/subscription'), 401);
  });

  test('checkout makes one customer per user and sends the plan with idempotency keys, retrying 429 and 5xx', async () => {
    const user = await registerUser(server.url, 'checkout');
    const before = fake.requests.length;
    fake.failNext(429, 503);
    const body = { plan: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' };
    const first = await request(server.url, 'POST', '/v1/billing/checkout', { token: user.token, body });
    assert.equal(first.status, 201, first.text);
    assert.match(first.json.url, /^https:\/\/checkout\.stripe\.com\//);
    assert.match(first.json.sessionId, /^cs_test_/);
    const second = await request(server.url, 'POST', '/v1/billing/checkout', { token: user.token, body });
    assert.equal(second.status, 201, second.text);
    assert.notEqual(second.json.sessionId, first.json.sessionId);

    const calls = fake.requests.slice(before);
    for (const c of calls.filter((r) => r.method === 'POST')) {
      assert.ok(c.headers['idempotency-key'], `${c.path} without an Idempotency-Key`);
      assert.match(c.headers['content-type'], /^application\/x-www-form-urlencoded/);
    }
    const customerCalls = calls.filter((c) => c.path === '/v1/customers');
    // The injected 429 and 503 were retried under the same key.
    assert.equal(customerCalls.length, 3);
    assert.equal(new Set(customerCalls.map((c) => c.headers['idempotency-key'])).size, 1);
    assert.equal(customerCalls[2].form.metadata.userId, user.user.id);
    const sessions = calls.filter((c) => c.path === '/v1/checkout/sessions');
    assert.equal(sessions.length, 2); // the customer was remembered for the second
    const form = sessions[0].form;
    assert.equal(form.mode, 'subscription');
    assert.equal(form.client_reference_id, user.user.id);
    assert.equal(form.customer, sessions[1].form.customer);
    assert.deepEqual(form.line_items, [{ price: 'price_pro', quantity: '1' }]);
    assert.equal(form.success_url, body.successUrl);

    // Bad input never reaches Stripe.
    const count = fake.requests.length;
    for (const bad of [{ ...body, plan: 'free' }, { ...body, plan: 'gold' }, { ...body, successUrl: 'javascript:alert(1)' },
      { ...body, extra: 1 }, { plan: 'pro' }, { ...body, plan: 7 }]) {
      const r = await request(server.url, 'POST', '/v1/billing/checkout', { token: user.token, body: bad });
      checkProblem(assert, r, 400, JSON.stringify(bad));
    }
    assert.equal(fake.requests.length, count);
  });

  test('Stripe failing for good is a 503, and the portal needs a customer first', async () => {
    const user = await registerUser(server.url, 'outage');
    const portal = await request(server.url, 'POST', '/v1/billing/portal', { token: user.token, body: { returnUrl: 'https://app.example.com/b' } });
    checkProblem(assert, portal, 409);
    fake.failNext(500, 500, 500);
    const r = await request(server.url, 'POST', '/v1/billing/checkout', {
      token: user.token, body: { plan: 'pro', successUrl: 'https://a.example/ok', cancelUrl: 'https://a.example/no' },
    });
    checkProblem(assert, r, 503);
  });

  test('signed events change the plan from what Stripe says now; tampered, stale and replayed ones do not', async () => {
    const user = await registerUser(server.url, 'subscriber');
    const body = { plan: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' };
    const checkout = await request(server.url, 'POST', '/v1/billing/checkout', { token: user.token, body });
    assert.equal(checkout.status, 201, checkout.text);
    const customer = fake.requests.filter((c) => c.path === '/v1/checkout/sessions').at(-1).form.customer;
    const subId = `sub_e2e_${process.pid}_1`;
    const periodStart = now() - 86400;
    const periodEnd = now() + 29 * 86400;
    fake.setSubscription({ id: subId, customer, status: 'active', price: 'price_pro', periodStart, periodEnd, userId: user.user.id });

    const completed = event('checkout.session.completed', {
      id: checkout.json.sessionId, object: 'checkout.session', mode: 'subscription', customer,
      subscription: subId, client_reference_id: user.user.id,
    });
    // Tampered, stale, signed with another secret, unsigned: refused.
    const good = signed(completed);
    const tampered = { payload: good.payload.replace('"active"', '"x"').replace(subId, 'sub_other'), header: good.header };
    checkProblem(assert, await deliver(server, tampered), 400, 'tampered');
    checkProblem(assert, await deliver(server, signed(completed, { timestamp: now() - 400 })), 400, 'stale');
    checkProblem(assert, await deliver(server, signed(completed, { secret: 'whsec_wrong' })), 400, 'wrong secret');
    checkProblem(assert, await deliver(server, { payload: good.payload }), 400, 'unsigned');
    assert.equal((await subscription(server, user.token)).json.plan, 'free');

    const ok = await deliver(server, good);
    assert.equal(ok.status, 200, ok.text);
    let s = (await subscription(server, user.token)).json;
    assert.equal(s.plan, 'pro');
    assert.equal(s.status, 'active');
    assert.equal(s.usage.limitMinutes, 300);
    assert.equal(Date.parse(s.usage.periodStart), periodStart * 1000);
    assert.equal(Date.parse(s.currentPeriodEnd), periodEnd * 1000);
    await until('the plan notice', async () => (await notices(server, user.token)).some((n) => n.type === 'billing.plan_changed'));

    // The payment fails: Stripe now says past_due. A replay of the old
    // event changes nothing; a new event brings the dunning notice.
    fake.setSubscription({ id: subId, customer, status: 'past_due', price: 'price_pro', periodStart, periodEnd });
    assert.equal((await deliver(server, signed(completed))).status, 200);
    assert.equal((await subscription(server, user.token)).json.status, 'active');
    const failed = event('invoice.payment_failed', { id: 'in_1', object: 'invoice', customer, subscription: subId });
    assert.equal((await deliver(server, signed(failed))).status, 200);
    s = (await subscription(server, user.token)).json;
    assert.equal(s.status, 'past_due');
    assert.equal(s.plan, 'pro'); // kept while Stripe retries
    await until('the dunning notice', async () => (await notices(server, user.token)).some((n) => n.type === 'billing.payment_failed'));

    // Out of order: the cancellation's event arrives before an older
    // update that still shows the subscription active. Both are read back
    // from Stripe, which says canceled: the user ends on the free plan.
    fake.setSubscription({ id: subId, customer, status: 'canceled', price: 'price_pro', periodStart, periodEnd });
    const older = event('customer.subscription.updated', { id: subId, object: 'subscription', customer, status: 'active' });
    const deleted = event('customer.subscription.deleted', { id: subId, object: 'subscription', customer, status: 'canceled' });
    assert.equal((await deliver(server, signed(deleted))).status, 200);
    assert.equal((await deliver(server, signed(older))).status, 200);
    s = (await subscription(server, user.token)).json;
    assert.equal(s.plan, 'free');
    assert.equal(s.status, 'canceled');
    assert.equal(s.usage.limitMinutes, 2);
    await until('the downgrade notice', async () =>
      (await notices(server, user.token)).some((n) => n.type === 'billing.plan_changed' && /ended/.test(n.title)));

    // The portal now opens for this customer.
    const portal = await request(server.url, 'POST', '/v1/billing/portal', { token: user.token, body: { returnUrl: 'https://app.example.com/b' } });
    assert.equal(portal.status, 201, portal.text);
    assert.match(portal.json.url, /^https:\/\/billing\.stripe\.com\//);
    assert.equal(fake.requests.at(-1).form.customer, customer);

    // Each change is in the user's audit trail.
    const audit = await request(server.url, 'GET', '/v1/me/audit?limit=100', { token: user.token });
    const actions = audit.json.items.map((e) => e.action);
    assert.ok(actions.includes('billing.checkout_started'), actions.join());
    assert.equal(actions.filter((a) => a === 'billing.plan_changed').length, 2, actions.join());
    assert.ok(actions.includes('billing.subscription_updated'), actions.join());
  });

  test('erasing an account deletes its Stripe customer, which ends the subscription', async () => {
    const user = await registerUser(server.url, 'leaving');
    const body = { plan: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' };
    assert.equal((await request(server.url, 'POST', '/v1/billing/checkout', { token: user.token, body })).status, 201);
    const customer = fake.requests.filter((c) => c.path === '/v1/checkout/sessions').at(-1).form.customer;
    const subId = `sub_e2e_${process.pid}_leaving`;
    fake.setSubscription({ id: subId, customer, status: 'active', price: 'price_pro', periodStart: now(), periodEnd: now() + 86400 * 30 });
    assert.equal((await deliver(server, signed(event('customer.subscription.created', { id: subId, object: 'subscription', customer })))).status, 200);
    assert.equal((await subscription(server, user.token)).json.plan, 'pro');
    const r = await request(server.url, 'DELETE', '/v1/me', { token: user.token, body: { password: 'correct horse battery' } });
    assert.equal(r.status, 202, r.text);
    await until('the customer to be deleted', () =>
      fake.requests.some((c) => c.method === 'DELETE' && c.path === `/v1/customers/${customer}`), { timeoutMs: 20000 });
    // Stripe's own event afterwards finds nobody to change.
    assert.equal((await deliver(server, signed(event('customer.subscription.deleted', { id: subId, object: 'subscription', customer })))).status, 200);
  });

  test('an event for a subscription Stripe cannot be reached for is retried later (503)', async () => {
    fake.failNext(500, 500, 500);
    const r = await deliver(server, signed(event('customer.subscription.updated', { id: 'sub_x', object: 'subscription', customer: 'cus_x' })));
    checkProblem(assert, r, 503);
    // Events billing has no use for are acknowledged.
    assert.equal((await deliver(server, signed(event('charge.succeeded', { id: 'ch_1', object: 'charge' })))).status, 200);
  });

  test('quotas: a file over the plan, minutes used up (402 with limit and used), a recording longer than what is left', async () => {
    const user = await registerUser(server.url, 'quota');
    const big = await putRecording(server.url, user.token, await newInterview(server.url, user.token, 'big'), Buffer.concat([short, Buffer.alloc(2100000)]));
    const p = checkProblem(assert, big, 402);
    assert.equal(p.type, '/problems/quota-exceeded');
    assert.equal(p.limit, 2000000);
    assert.ok(p.used > 2000000);

    // 61 s counts two minutes, the whole free plan.
    const first = await newInterview(server.url, user.token, 'first');
    assert.equal((await putRecording(server.url, user.token, first, tone(61, 'minute.wav'))).status, 201);
    const done = await waitFor(server.url, user.token, first, ['completed', 'failed']);
    assert.equal(done.status, 'completed', JSON.stringify(done.failure));
    assert.equal((await subscription(server, user.token)).json.usage.minutes, 2);
    const refused = await putRecording(server.url, user.token, await newInterview(server.url, user.token, 'next'), short);
    const q = checkProblem(assert, refused, 402);
    assert.equal(q.type, '/problems/quota-exceeded');
    assert.equal(q.limit, 2);
    assert.equal(q.used, 2);
    const tus = await request(server.url, 'POST', '/v1/uploads', {
      token: user.token,
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '1000', 'Upload-Metadata': `interviewId ${Buffer.from(first).toString('base64')},consent ${Buffer.from('self-only').toString('base64')}` },
    });
    assert.equal(checkProblem(assert, tus, 402).limit, 2);

    // Another user with one minute left uploads a two-minute recording: it
    // fails before transcription, and nothing is counted.
    const other = await registerUser(server.url, 'longer');
    const fits = await newInterview(server.url, other.token, 'fits');
    assert.equal((await putRecording(server.url, other.token, fits, short)).status, 201);
    assert.equal((await waitFor(server.url, other.token, fits, ['completed', 'failed'])).status, 'completed');
    assert.equal((await subscription(server, other.token)).json.usage.minutes, 1);
    const id = await newInterview(server.url, other.token, 'too long');
    assert.equal((await putRecording(server.url, other.token, id, readFileSync(join(media, 'minute.wav')))).status, 201);
    const failed = await waitFor(server.url, other.token, id, ['completed', 'failed']);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failure.stage, 'transcribe');
    assert.match(failed.failure.reason, /processing minutes/);
    assert.equal((await subscription(server, other.token)).json.usage.minutes, 1);
  });
});

describe('fair scheduling', () => {
  test('one user with 20 queued recordings does not keep another waiting more than one job', async () => {
    const plans = join(media, 'fair-plans.json');
    writeFileSync(plans, JSON.stringify([{ ...PLANS[1], id: 'free', priceId: null, monthlyMinutes: 10000 }]));
    const server = await startServer({ args: [...FAST, '--plans-file', plans, '--transcribe-concurrency', '1'] });
    try {
      const dialog = repeatWav(media, makeDialog(media), 2, join(media, 'fair.wav'));
      const audio = readFileSync(dialog);
      const busy = await registerUser(server.url, 'busy');
      const ids = [];
      for (let i = 0; i < 20; i++) {
        const id = await newInterview(server.url, busy.token, `busy ${i}`);
        assert.equal((await putRecording(server.url, busy.token, id, audio)).status, 201);
        ids.push(id);
      }
      const calm = await registerUser(server.url, 'calm');
      const single = await newInterview(server.url, calm.token, 'single');
      assert.equal((await putRecording(server.url, calm.token, single, audio)).status, 201);
      const finishedBefore = async () => {
        let n = 0;
        for (const id of ids) {
          const s = (await getInterview(server.url, busy.token, id)).status;
          if (s === 'analyzing' || s === 'completed') n += 1;
        }
        return n;
      };
      const atUpload = await finishedBefore();
      await until('the single recording to start', async () =>
        (await getInterview(server.url, calm.token, single)).status !== 'uploaded', { timeoutMs: 120000, intervalMs: 50 });
      const atStart = await finishedBefore();
      // At most the job running when it was queued finished before it.
      assert.ok(atStart - atUpload <= 1, `${atStart - atUpload} of the busy user's jobs went first`);
      assert.ok(atStart < 19, 'the busy user still had work queued');
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
