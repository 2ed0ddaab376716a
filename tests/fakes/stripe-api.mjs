// A local stand-in for Stripe's API (https://docs.stripe.com/api), speaking
// its wire format for the calls billing makes: form-encoded requests with
// bracket keys, Bearer secret keys, JSON answers and Stripe's error shape,
// Idempotency-Key replays (the first answer again, `Idempotent-Replayed:
// true`; another request under a used key is a 400 idempotency_error),
// and injected 429 and 5xx answers. Tests hold the subscriptions it serves
// and read the requests it received.
import http from 'node:http';

export const SECRET_KEY = 'sk_test_fake_0123456789';

// Stripe's bracket keys into objects: a[b][0][c]=v -> {a: {b: [{c: v}]}}.
function parseForm(text) {
  const out = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = rawKey.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let at = out;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1]);
      if (last) at[part] = value;
      else at = at[part] ??= nextIsIndex ? [] : {};
    });
  }
  return out;
}

export async function startFakeStripe() {
  const requests = [];
  const subscriptions = new Map();
  const replays = new Map(); // Idempotency-Key -> {body, status, answer}
  const failures = []; // statuses to answer next, in order
  const deleted = new Set();
  let customers = 0;
  let sessions = 0;

  const error = (res, status, type, message) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Request-Id': `req_${Date.now()}` });
    res.end(JSON.stringify({ error: { type, message } }));
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, 'http://stripe.local');
      const form = req.method === 'POST' ? parseForm(raw) : {};
      const seen = { method: req.method, path: url.pathname, headers: req.headers, raw, form };
      requests.push(seen);
      if (req.headers.authorization !== `Bearer ${SECRET_KEY}`)
        return error(res, 401, 'invalid_request_error', 'Invalid API Key provided.');
      if (failures.length) {
        const status = failures.shift();
        if (status === 429) res.setHeader('Retry-After', '0');
        return error(res, status, status === 429 ? 'rate_limit_error' : 'api_error', `injected ${status}`);
      }
      if (req.method === 'POST') {
        const key = req.headers['idempotency-key'];
        if (!key) return error(res, 400, 'invalid_request_error', 'an Idempotency-Key is required here');
        const earlier = replays.get(key);
        if (earlier) {
          if (earlier.body !== raw || earlier.path !== url.pathname)
            return error(res, 400, 'idempotency_error', 'Keys for idempotent requests can only be used with the same parameters they were first used with.');
          res.writeHead(earlier.status, { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' });
          return res.end(earlier.answer);
        }
        const answer = (status, object) => {
          const text = JSON.stringify(object);
          replays.set(key, { body: raw, path: url.pathname, status, answer: text });
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(text);
        };
        if (url.pathname === '/v1/customers') {
          customers += 1;
          return answer(200, { id: `cus_fake${customers}`, object: 'customer', metadata: form.metadata ?? {} });
        }
        if (url.pathname === '/v1/checkout/sessions') {
          for (const field of ['mode', 'customer', 'success_url', 'cancel_url', 'line_items'])
            if (!form[field]) return error(res, 400, 'invalid_request_error', `Missing required param: ${field}.`);
          sessions += 1;
          const id = `cs_test_fake${sessions}`;
          return answer(200, {
            id, object: 'checkout.session', mode: form.mode, customer: form.customer,
            client_reference_id: form.client_reference_id ?? null, metadata: form.metadata ?? {},
            url: `https://checkout.stripe.com/c/pay/${id}`,
          });
        }
        if (url.pathname === '/v1/billing_portal/sessions') {
          if (!form.customer) return error(res, 400, 'invalid_request_error', 'Missing required param: customer.');
          sessions += 1;
          return answer(200, { id: `bps_fake${sessions}`, object: 'billing_portal.session', customer: form.customer, return_url: form.return_url, url: `https://billing.stripe.com/p/session/test_fake${sessions}` });
        }
      }
      const customer = url.pathname.match(/^\/v1\/customers\/([^/]+)$/);
      if (req.method === 'DELETE' && customer) {
        // Deleting a customer cancels its subscriptions at once.
        const id = decodeURIComponent(customer[1]);
        if (deleted.has(id) || !/^cus_/.test(id)) return error(res, 404, 'invalid_request_error', `No such customer: '${id}'`);
        deleted.add(id);
        for (const s of subscriptions.values()) if (s.customer === id) s.status = 'canceled';
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ id, object: 'customer', deleted: true }));
      }
      const sub = url.pathname.match(/^\/v1\/subscriptions\/([^/]+)$/);
      if (req.method === 'GET' && sub) {
        const found = subscriptions.get(decodeURIComponent(sub[1]));
        if (!found) return error(res, 404, 'invalid_request_error', `No such subscription: '${sub[1]}'`);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify(found));
      }
      error(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname}).`);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    // A subscription as Stripe would return it (API 2024-06-20 shape).
    setSubscription({ id, customer, status, price, periodStart, periodEnd, cancelAtPeriodEnd = false, userId }) {
      subscriptions.set(id, {
        id, object: 'subscription', customer, status, cancel_at_period_end: cancelAtPeriodEnd,
        current_period_start: periodStart, current_period_end: periodEnd,
        items: { object: 'list', data: [{ id: `si_${id}`, object: 'subscription_item', price: { id: price, object: 'price' } }] },
        metadata: userId ? { userId } : {},
      });
    },
    failNext(...statuses) { failures.push(...statuses); },
    close() { return new Promise((resolve) => server.close(resolve)); },
  };
}
