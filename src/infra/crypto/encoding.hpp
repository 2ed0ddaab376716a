#pragma once
// Byte encodings and digests used across the service.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace companion::crypto {

std::string base64url_encode(std::string_view bytes);
// Decodes unpadded base64url; nullopt on any character outside the alphabet
// or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);
// The same answers (the tests hold them to it), in time that depends on the
// input: for values that are not secret, such as a token's header and
// claims or a cursor, where libsodium's constant-time decoder cost an
// authenticated request 1.7 µs (docs/benchmarks.md). Keys and other secrets
// go through base64url_decode.
std::optional<std::string> base64url_decode_public(std::string_view text);
// base64url_encode's output, in time that depends on the input: for values
// that are not secret, such as ciphertext (sealed fields: libsodium's
// constant-time coder ran at about 100 MB/s there, docs/benchmarks.md).
std::string base64url_encode_public(std::string_view bytes);

std::string hex_encode(std::string_view bytes);

std::string sha256(std::string_view data);                             // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes

// Compares in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

// Cryptographically random bytes (libsodium).
std::string random_bytes(std::size_t n);

}  // namespace companion::crypto
