#pragma once
// Stripe's REST API, the calls billing makes: customers, Checkout
// Sessions, Customer Portal sessions and reading a subscription. Requests
// are form-encoded with Stripe's bracket notation, answers JSON; every
// POST carries an Idempotency-Key (Stripe answers a repeat with the first
// result), and calls go through the shared HTTP client, so they get its
// retries on 429 and 5xx, its deadlines and its circuit breaker. Every
// call blocks: run it on a blocking pool.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "infra/http_client/http_client.hpp"

namespace companion::stripe {

struct StripeSettings {
  std::string api_base = "https://api.stripe.com";  // an origin; Stripe's paths go under it
  std::string secret_key;                           // sk_…; empty: billing is off
  std::string api_version = "2024-06-20";           // Stripe-Version sent with every call
  std::chrono::milliseconds timeout{20'000};        // one try
};

class StripeError : public std::runtime_error {
 public:
  enum class Kind {
    kUnavailable,  // not reached, timed out, 429/5xx after retries, breaker open
    kRejected,     // a 4xx answer: our request was wrong (or the key)
    kNotFound,     // 404: no such object
    kMalformed,    // a 2xx answer without what it should hold
  };
  StripeError(Kind kind, long status, std::string message)
      : std::runtime_error(std::move(message)), kind_(kind), status_(status) {}
  Kind kind() const { return kind_; }
  long status() const { return status_; }

 private:
  Kind kind_;
  long status_;
};

struct CheckoutRequest {
  std::string customer;
  std::string price_id;
  std::string user_id;  // client_reference_id, and the subscription's metadata
  std::string plan_id;
  std::string success_url;
  std::string cancel_url;
  std::string idempotency_key;
};

struct CheckoutSession {
  std::string id;
  std::string url;
};

// A subscription as Stripe holds it now.
struct Subscription {
  std::string id;
  std::string customer;
  std::string status;  // trialing, active, past_due, canceled, unpaid, incomplete, …
  std::optional<std::string> price_id;  // the first item's
  std::optional<std::int64_t> period_start_s;
  std::optional<std::int64_t> period_end_s;
  bool cancel_at_period_end = false;
  std::optional<std::string> user_id;  // metadata[userId], when set
};

// `key[sub]=value` pairs in order, encoded as application/x-www-form-urlencoded.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);
// A subscription object (JSON) as the API returns it; throws StripeError
// (kMalformed) when it is not one. Reads the period from the object or,
// on API versions that moved it there, from its first item.
Subscription parse_subscription(std::string_view json);

class StripeClient {
 public:
  StripeClient(StripeSettings settings, http_client::HttpClient& client);

  bool configured() const { return !settings_.secret_key.empty(); }
  const StripeSettings& settings() const { return settings_; }

  // Returns the new customer's id (cus_…).
  std::string create_customer(const std::string& user_id, const std::string& idempotency_key);
  CheckoutSession create_checkout_session(const CheckoutRequest& request);
  // Returns the portal session's URL.
  std::string create_portal_session(const std::string& customer, const std::string& return_url,
                                    const std::string& idempotency_key);
  Subscription subscription(const std::string& id);
  // Deletes the customer, which cancels its subscriptions at once; false
  // when Stripe has no such customer (deleted already).
  bool delete_customer(const std::string& id);

 private:
  // The answer's JSON body; throws StripeError for anything but a 2xx.
  std::string call(http_client::Method method, const std::string& path, const std::string& form,
                   const std::string& idempotency_key);

  StripeSettings settings_;
  http_client::HttpClient& client_;
};

}  // namespace companion::stripe
