// JsonEmitter must spell every string and number exactly as nlohmann would after SanitizeUtf8:
// the document mixes both, and a consumer must never see two spellings of one value.
#include "analyzer/output/json_emitter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "base/text.h"

namespace ktriage::output_internal {
namespace {

std::string Emitted(std::string_view s) {
  std::string out;
  JsonEmitter(out).String(s);
  return out;
}

std::string Reference(std::string_view s) { return nlohmann::json(SanitizeUtf8(s)).dump(); }

TEST(JsonEmitter, EverySingleByteMatchesNlohmann) {
  for (int b = 0; b < 256; ++b) {
    std::string s = "a" + std::string(1, static_cast<char>(b)) + "z";
    EXPECT_EQ(Emitted(s), Reference(s)) << "byte " << b;
  }
}

TEST(JsonEmitter, RandomBytesMatchNlohmann) {
  std::mt19937 rng(12345);
  const std::string alphabet = std::string("ab\"\\\n\t\x01\x1f\x7f", 10) + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80\xff\xc0";
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    size_t n = rng() % 24;
    for (size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    ASSERT_EQ(Emitted(s), Reference(s)) << "round " << round;
  }
}

// Plain text is copied a word at a time: a byte that needs escaping, or a non-ASCII one, must be
// seen at every place in a word, and in the tail after the last whole word.
TEST(JsonEmitter, SpecialBytesAtEveryOffsetOfLongText) {
  const std::string plain = "netdev_pick_tx+0x27c/0x294 [veth] ffffffff";
  for (const char* special : {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xff", " "}) {
    for (size_t at = 0; at <= plain.size(); ++at) {
      std::string s = plain;
      s.insert(at, special);
      ASSERT_EQ(Emitted(s), Reference(s)) << "offset " << at;
    }
  }
}

TEST(JsonEmitter, StructureAndNumbers) {
  std::string out;
  JsonEmitter e(out);
  e.BeginObject();
  e.Key("a").Uint(18446744073709551615ULL);
  e.Key("b").Int(-3);
  e.Key("c").Double(5256.508123);
  e.Key("d").Double(0.0);
  e.Key("e");
  e.BeginArray();
  e.Null();
  e.Bool(true);
  e.BeginObject();
  e.EndObject();
  e.BeginArray();
  e.EndArray();
  e.EndArray();
  e.EndObject();
  EXPECT_EQ(out, R"({"a":18446744073709551615,"b":-3,"c":5256.508123,"d":0.0,"e":[null,true,{},[]]})");
  EXPECT_EQ(nlohmann::ordered_json::parse(out).dump(), out);
}

}  // namespace
}  // namespace ktriage::output_internal
