#include "infra/pubsub/redis_pubsub.hpp"

#include <sys/socket.h>

#include <vector>

namespace companion::pubsub {
namespace {
constexpr std::size_t kBatch = 512;
}

RedisPubSub::RedisPubSub(RedisPubSubSettings settings)
    : settings_(std::move(settings)), address_(redis::parse_url(settings_.url)) {}

RedisPubSub::~RedisPubSub() {
  stop();
}

void RedisPubSub::subscribe(Handler on_message, GapHandler on_gap) {
  on_message_ = std::move(on_message);
  on_gap_ = std::move(on_gap);
}

void RedisPubSub::start() {
  publisher_ = std::thread([this] { publish_loop(); });
  if (on_message_) subscriber_ = std::thread([this] { subscribe_loop(); });
}

void RedisPubSub::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !publisher_.joinable() && !subscriber_.joinable()) return;
    stopping_ = true;
    if (subscriber_fd_ >= 0) ::shutdown(subscriber_fd_, SHUT_RDWR);
  }
  wake_.notify_all();
  if (publisher_.joinable()) publisher_.join();
  if (subscriber_.joinable()) subscriber_.join();
}

void RedisPubSub::publish(std::string message) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (pending_.size() >= settings_.max_pending) {
      pending_.pop_front();
      ++dropped_;
    }
    pending_.push_back(std::move(message));
  }
  wake_.notify_one();
}

bool RedisPubSub::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [&] { return stopping_; });
}

void RedisPubSub::publish_loop() {
  redis::Context ctx;
  std::vector<std::string> batch;
  auto backoff = std::chrono::milliseconds(50);
  for (;;) {
    if (batch.empty()) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      // What was queued before stop() still goes out.
      if (pending_.empty()) return;
      while (!pending_.empty() && batch.size() < kBatch) {
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    try {
      if (!ctx) ctx = redis::connect(address_, settings_.timeout);
      for (const auto& m : batch) {
        const char* argv[] = {"PUBLISH", settings_.channel.data(), m.data()};
        const size_t lens[] = {7, settings_.channel.size(), m.size()};
        if (redisAppendCommandArgv(ctx.get(), 3, argv, lens) != REDIS_OK)
          throw redis::RedisError("Redis: out of memory");
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(ctx.get(), &raw) != REDIS_OK)
          throw redis::RedisError(std::string("Redis: ") + ctx->errstr);
        freeReplyObject(raw);
      }
      batch.clear();
      backoff = std::chrono::milliseconds(50);
    } catch (const std::exception&) {
      // Sent again after reconnecting (a message may go out twice; the
      // subscribers drop what they already have).
      ctx.reset();
      bool stopping;
      {
        std::lock_guard lock(mutex_);
        stopping = stopping_;
      }
      if (stopping || !pause(backoff)) return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    }
  }
}

void RedisPubSub::subscribe_loop() {
  bool first = true;
  auto backoff = std::chrono::milliseconds(50);
  for (;;) {
    redis::Context ctx;
    try {
      ctx = redis::connect(address_, settings_.timeout);
      redis::command(ctx.get(), {"SUBSCRIBE", settings_.channel});
      // Reads block until a message comes: no read timeout (hiredis
      // abandons a context whose read timed out); stop() shuts the socket.
      redisSetTimeout(ctx.get(), timeval{0, 0});
      redisEnableKeepAlive(ctx.get());
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        subscriber_fd_ = ctx->fd;
      }
      subscribed_ = true;
      backoff = std::chrono::milliseconds(50);
      if (!first && on_gap_) on_gap_();
      first = false;
      for (;;) {
        void* raw = nullptr;
        if (redisGetReply(ctx.get(), &raw) != REDIS_OK) break;
        redis::Reply reply(static_cast<redisReply*>(raw));
        // ["message", channel, payload]
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
            reply->element[2]->type == REDIS_REPLY_STRING)
          on_message_(std::string_view(reply->element[2]->str, reply->element[2]->len));
      }
    } catch (const std::exception&) {
    }
    subscribed_ = false;
    {
      std::lock_guard lock(mutex_);
      subscriber_fd_ = -1;
      if (stopping_) return;
    }
    first = false;
    if (!pause(backoff)) return;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace companion::pubsub
