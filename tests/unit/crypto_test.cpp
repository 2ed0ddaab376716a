#include <gtest/gtest.h>

#include <random>
#include <set>

#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/jwt.hpp"
#include "infra/crypto/password_hasher.hpp"
#include "infra/crypto/uuid.hpp"

namespace companion::crypto {
namespace {

TEST(Base64Url, RoundTripsEveryLength) {
  std::string data;
  for (int n = 0; n < 70; ++n) {
    auto encoded = base64url_encode(data);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    auto decoded = base64url_decode(encoded);
    ASSERT_TRUE(decoded) << n;
    EXPECT_EQ(*decoded, data);
    data += static_cast<char>(n * 37 + 5);
  }
}

TEST(Base64Url, RejectsForeignCharactersAndNonCanonicalTails) {
  EXPECT_FALSE(base64url_decode("ab+c"));
  EXPECT_FALSE(base64url_decode("abc="));
  EXPECT_FALSE(base64url_decode("a"));
  EXPECT_FALSE(base64url_decode("QR"));  // 'R' leaves non-zero bits: "QQ" is canonical
  EXPECT_EQ(*base64url_decode("QQ"), "A");
}

// The same strictness from libsodium: nothing skipped, nothing padded.
TEST(Base64Url, RejectsWhitespacePaddingAndStrayBytes) {
  EXPECT_FALSE(base64url_decode("QQ=="));
  EXPECT_FALSE(base64url_decode("QQ "));
  EXPECT_FALSE(base64url_decode(" QQ"));
  EXPECT_FALSE(base64url_decode("Q\nQ"));
  EXPECT_FALSE(base64url_decode(std::string("QQ\0", 3)));
  EXPECT_FALSE(base64url_decode("QUJDR"));  // five characters: no byte string has that length
  // libsodium alone would take any byte from 0x80 up as a character.
  for (int b = 0x80; b < 0x100; ++b) {
    EXPECT_FALSE(base64url_decode("QQQ" + std::string(1, static_cast<char>(b)))) << b;
    EXPECT_FALSE(base64url_decode_public("QQQ" + std::string(1, static_cast<char>(b)))) << b;
  }
  EXPECT_EQ(*base64url_decode(""), "");
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(*base64url_decode("-_-_"), "\xfb\xff\xbf");
  EXPECT_EQ(base64url_encode("any carnal pleas"), "YW55IGNhcm5hbCBwbGVhcw");
}

// The variable-time decoder gives the constant-time one's answer for every
// input: the strict cases above, and random strings over the alphabet with
// foreign bytes mixed in.
TEST(Base64Url, ThePublicDecoderAgreesWithLibsodiumOnEveryInput) {
  for (std::string_view text : {"ab+c", "abc=", "a", "QR", "QQ", "QQ==", "QQ ", " QQ", "Q\nQ",
                                "QUJDR", "", "-_-_", "YW55IGNhcm5hbCBwbGVhcw"}) {
    EXPECT_EQ(base64url_decode_public(text), base64url_decode(text)) << text;
  }
  EXPECT_EQ(base64url_decode_public(std::string("QQ\0", 3)), std::nullopt);
  std::mt19937 random(12345);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 0; i < 20'000; ++i) {
    std::string text(random() % 24, 'A');
    for (auto& c : text)
      c = random() % 50 == 0 ? static_cast<char>(random() % 256) : alphabet[random() % 64];
    ASSERT_EQ(base64url_decode_public(text), base64url_decode(text)) << text;
  }
  std::string data;
  for (int n = 0; n < 70; ++n) {
    ASSERT_EQ(base64url_decode_public(base64url_encode(data)), data);
    data += static_cast<char>(n * 53 + 11);
  }
}

// The variable-time encoder writes what libsodium's does, for every length
// and every byte value.
TEST(Base64Url, ThePublicEncoderAgreesWithLibsodium) {
  std::mt19937 random(6789);
  std::string data;
  for (int n = 0; n < 300; ++n) {
    ASSERT_EQ(base64url_encode_public(data), base64url_encode(data)) << n;
    data += static_cast<char>(random() % 256);
  }
  std::string every;
  for (int b = 0; b < 256; ++b) every += static_cast<char>(b);
  EXPECT_EQ(base64url_encode_public(every), base64url_encode(every));
}

TEST(Hex, EncodesLowercaseTwoDigitsAByte) {
  EXPECT_EQ(hex_encode(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  EXPECT_EQ(hex_encode(""), "");
}

TEST(Digest, Sha256AndHmacMatchKnownVectors) {
  EXPECT_EQ(hex_encode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(UuidV7, IsWellFormedAndStrictlyIncreasingWithinOneMillisecond) {
  ManualClock clock(1'700'000'000'000);
  UuidV7Generator gen(clock);
  std::string last;
  for (int i = 0; i < 10'000; ++i) {
    auto id = gen.next();
    ASSERT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '7');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
    EXPECT_GT(id, last);
    EXPECT_EQ(uuid_v7_millis(id), 1'700'000'000'000);
    last = id;
  }
}

TEST(UuidV7, StaysOrderedWhenTheClockStepsBack) {
  ManualClock clock(1'700'000'000'000);
  UuidV7Generator gen(clock);
  auto a = gen.next();
  clock.advance(std::chrono::milliseconds(-5000));
  auto b = gen.next();
  EXPECT_GT(b, a);
}

TEST(Uuid, Validation) {
  EXPECT_TRUE(is_uuid("01890a5d-ac96-774b-bcce-b302099a8057"));
  EXPECT_TRUE(is_uuid("01890A5D-AC96-774B-BCCE-B302099A8057"));
  EXPECT_FALSE(is_uuid("01890a5d-ac96-774b-bcce-b302099a805"));
  EXPECT_FALSE(is_uuid("01890a5d0ac96-774b-bcce-b302099a8057"));
  EXPECT_FALSE(is_uuid("not-a-uuid"));
  EXPECT_FALSE(is_uuid("01890a5d-ac96-774b-bcce-b302099a805g"));
}

class JwtTest : public ::testing::Test {
 protected:
  ManualClock clock{1'800'000'000'000};
  JwtCodec codec{{.secret = std::string(40, 'k'), .ttl = std::chrono::seconds(900)}, clock};

  std::string forge(std::string_view header_json, std::string_view payload_json,
                    std::string_view secret) {
    auto input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
    return input + "." + base64url_encode(hmac_sha256(secret, input));
  }
  std::string payload(std::int64_t iat, std::int64_t exp) {
    return R"({"iss":"interview-companion","sub":"u1","sid":"s1","iat":)" + std::to_string(iat) +
           R"(,"exp":)" + std::to_string(exp) + "}";
  }
  std::int64_t now() { return clock.now_ms() / 1000; }
};

TEST_F(JwtTest, SignedTokenVerifies) {
  AccessClaims claims{"user-1", "session-1"};
  auto token = codec.sign(claims);
  auto verified = codec.verify(token);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->subject, "user-1");
  EXPECT_EQ(verified->session_id, "session-1");
  EXPECT_EQ(verified->expires_at - verified->issued_at, 900);
}

TEST_F(JwtTest, ExpiresAfterTtlPlusLeeway) {
  AccessClaims claims{"u", "s"};
  auto token = codec.sign(claims);
  clock.advance(std::chrono::seconds(900 + 4));
  EXPECT_TRUE(codec.verify(token));
  clock.advance(std::chrono::seconds(2));
  std::string why;
  EXPECT_FALSE(codec.verify(token, &why));
  EXPECT_EQ(why, "expired");
}

TEST_F(JwtTest, RejectsAlgNone) {
  auto input = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
               base64url_encode(payload(now(), now() + 60));
  EXPECT_FALSE(codec.verify(input + "."));
  EXPECT_FALSE(codec.verify(input + ".AAAA"));
}

TEST_F(JwtTest, RejectsOtherAlgorithmsEvenWithAValidHmac) {
  auto secret = std::string(40, 'k');
  EXPECT_FALSE(codec.verify(forge(R"({"alg":"HS512"})", payload(now(), now() + 60), secret)));
  EXPECT_FALSE(codec.verify(forge(R"({"alg":"RS256"})", payload(now(), now() + 60), secret)));
  EXPECT_TRUE(codec.verify(forge(R"({"alg":"HS256"})", payload(now(), now() + 60), secret)));
}

// The codec's HMAC (pre-keyed digests) against OpenSSL's one-shot HMAC(),
// for keys shorter than, as long as and longer than SHA-256's 64-byte
// block (the last is hashed first).
TEST_F(JwtTest, SignaturesAreHmacSha256ForEveryKeyLength) {
  for (std::size_t length : {32u, 63u, 64u, 65u, 200u}) {
    std::string secret(length, 's');
    for (std::size_t i = 0; i < length; ++i) secret[i] = static_cast<char>(i * 7 + 1);
    JwtCodec other{{.secret = secret, .ttl = std::chrono::seconds(900)}, clock};
    EXPECT_TRUE(other.verify(forge(R"({"alg":"HS256"})", payload(now(), now() + 60), secret)))
        << length;
    AccessClaims claims{"u", "s"};
    auto token = other.sign(claims);
    auto dot = token.rfind('.');
    EXPECT_EQ(token.substr(dot + 1), base64url_encode(hmac_sha256(secret, token.substr(0, dot))))
        << length;
    EXPECT_FALSE(codec.verify(token)) << length;  // another key
  }
}

TEST_F(JwtTest, RejectsCriticalAndUnknownHeaders) {
  auto secret = std::string(40, 'k');
  EXPECT_FALSE(
      codec.verify(forge(R"({"alg":"HS256","crit":["exp"]})", payload(now(), now() + 60), secret)));
  EXPECT_FALSE(codec.verify(
      forge(R"({"alg":"HS256","kid":"../../etc/passwd"})", payload(now(), now() + 60), secret)));
  EXPECT_FALSE(codec.verify(forge(R"({"typ":"JWT"})", payload(now(), now() + 60), secret)));
}

TEST_F(JwtTest, RejectsWrongSecretTamperingAndMalformedTokens) {
  EXPECT_FALSE(codec.verify(forge(R"({"alg":"HS256"})", payload(now(), now() + 60),
                                  "other-secret-of-enough-length-123")));
  AccessClaims claims{"u", "s"};
  auto token = codec.sign(claims);
  auto tampered = token;
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_FALSE(codec.verify(tampered));
  EXPECT_FALSE(codec.verify(""));
  EXPECT_FALSE(codec.verify("a.b"));
  EXPECT_FALSE(codec.verify("a.b.c.d"));
  EXPECT_FALSE(codec.verify(token + "x"));
  EXPECT_FALSE(codec.verify(std::string(5000, 'a')));
}

TEST_F(JwtTest, RejectsFutureIatNotYetValidAndMissingClaims) {
  auto secret = std::string(40, 'k');
  EXPECT_FALSE(
      codec.verify(forge(R"({"alg":"HS256"})", payload(now() + 120, now() + 600), secret)));
  EXPECT_FALSE(
      codec.verify(forge(R"({"alg":"HS256"})",
                         R"({"iss":"interview-companion","sub":"u","sid":"s","iat":)" +
                             std::to_string(now()) + R"(,"exp":)" + std::to_string(now() + 60) +
                             R"(,"nbf":)" + std::to_string(now() + 300) + "}",
                         secret)));
  EXPECT_FALSE(codec.verify(forge(R"({"alg":"HS256"})", R"({"sub":"u","sid":"s"})", secret)));
  EXPECT_FALSE(codec.verify(forge(R"({"alg":"HS256"})", R"([1,2,3])", secret)));
}

TEST(PasswordHasher, VerifiesOnlyTheRightPassword) {
  PasswordHasher hasher({});
  auto hash = hasher.hash("correct horse battery");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_NE(hash.find("m=19456"), std::string::npos);
  EXPECT_TRUE(hasher.verify(hash, "correct horse battery"));
  EXPECT_FALSE(hasher.verify(hash, "correct horse batterY"));
  EXPECT_FALSE(hasher.verify(hasher.decoy_hash(), "correct horse battery"));
  EXPECT_NE(hasher.hash("same"), hasher.hash("same"));  // salted
}

}  // namespace
}  // namespace companion::crypto
