#include "src/report/json_writer.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "src/report/testing/json_test_parser.h"

namespace netcorr::report {
namespace {

using testing::JsonValue;
using testing::ParseJson;

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST(AppendJsonStringTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quoted("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(Quoted(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(Quoted(std::string("a\0b", 3)), R"("a\u0000b")");
}

TEST(AppendJsonStringTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(Quoted("\xff"), R"("\ufffd")");
  EXPECT_EQ(Quoted("\xc0\x80"), R"("\ufffd\ufffd")");                      // overlong NUL
  EXPECT_EQ(Quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // a UTF-16 surrogate
  EXPECT_EQ(Quoted("\xe2\x82"), R"("\ufffd\ufffd")");                      // truncated at the end
  EXPECT_EQ(Quoted("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  EXPECT_EQ(Quoted("a\xe2\x82z"), R"("a\ufffd\ufffdz")");
}

TEST(AppendJsonStringTest, AnyBytesGiveAStringTheStrictParserAccepts) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(rng() % 24, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    const std::string doc = Quoted(bytes);
    auto parsed = ParseJson(doc);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << " for " << doc;
    ASSERT_EQ(parsed->type, JsonValue::Type::kString);
    // Printable ASCII survives exactly.
    bool ascii = true;
    for (char c : bytes) ascii = ascii && c >= 0x20 && c < 0x7f;
    if (ascii) {
      EXPECT_EQ(parsed->string, bytes);
    }
  }
}

TEST(JsonWriterTest, WritesInt64AndUint64Exactly) {
  JsonWriter w;
  w.BeginArray();
  w.Int(std::numeric_limits<int64_t>::min());
  w.Int(std::numeric_limits<int64_t>::max());
  w.Uint(std::numeric_limits<uint64_t>::max());
  w.Int(1795867200123456789);
  w.EndArray();
  EXPECT_EQ(w.str(),
            "[-9223372036854775808,9223372036854775807,18446744073709551615,"
            "1795867200123456789]");
  auto parsed = ParseJson(w.str());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].int_value, std::numeric_limits<int64_t>::min());
  EXPECT_EQ((*parsed)[2].uint_value, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ((*parsed)[3].int_value, 1795867200123456789);
}

TEST(JsonWriterTest, CompactWriterPlacesCommasAndColons) {
  JsonWriter w;
  w.BeginObject();
  w.Field("a", int64_t{1});
  w.Key("b");
  w.BeginArray();
  w.Bool(true);
  w.Null();
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.EndArray();
  w.Field("c", "x");
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[true,null,{},[]],"c":"x"})");
}

TEST(JsonWriterTest, PrettyDepthPutsEachTopLevelElementOnOneLine) {
  JsonWriter w(2, 2);
  w.BeginObject();
  w.Field("version", int64_t{1});
  w.Key("calls");
  w.BeginArray();
  for (int i = 0; i < 2; ++i) {
    w.BeginObject();
    w.Field("id", int64_t{i});
    w.Key("socket");
    w.BeginObject();
    w.Field("inode", int64_t{7});
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.Key("empty");
  w.BeginArray();
  w.EndArray();
  w.EndObject();
  EXPECT_EQ(w.str(),
            "{\n"
            "  \"version\": 1,\n"
            "  \"calls\": [\n"
            "    {\"id\":0,\"socket\":{\"inode\":7}},\n"
            "    {\"id\":1,\"socket\":{\"inode\":7}}\n"
            "  ],\n"
            "  \"empty\": []\n"
            "}");
  EXPECT_TRUE(ParseJson(w.str()).ok());
}

}  // namespace
}  // namespace netcorr::report
