#pragma once
// Upload bodies for tests: pieces from a callback, delivered as the HTTP
// layer's reads deliver a body (uploads::ReadBody): each read copies what
// it can of one piece into the spans it is given, the rest of that piece
// going to the next read.
#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "modules/uploads/upload_stream.hpp"

namespace companion::test_support {

// The next piece (valid until the next call), or an empty view at the end.
using NextPiece = std::function<boost::asio::awaitable<std::string_view>()>;

inline uploads::ReadBody read_pieces(NextPiece next) {
  struct State {
    NextPiece next;
    std::string_view left;
  };
  auto state = std::make_shared<State>(State{std::move(next), {}});
  return [state](std::span<const std::span<char>> into) -> boost::asio::awaitable<std::size_t> {
    if (state->left.empty()) state->left = co_await state->next();
    std::size_t n = 0;
    for (auto span : into) {
      auto take = std::min(span.size(), state->left.size());
      std::memcpy(span.data(), state->left.data(), take);
      state->left.remove_prefix(take);
      n += take;
      if (state->left.empty()) break;
    }
    co_return n;
  };
}

}  // namespace companion::test_support
