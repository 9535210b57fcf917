// The test parser is what makes the JSON tests meaningful: it must reject what is not JSON.

#include "src/report/testing/json_test_parser.h"

#include "gtest/gtest.h"

namespace netcorr::report::testing {
namespace {

TEST(JsonTestParserTest, AcceptsValidDocuments) {
  auto v =
      ParseJson(R"( {"a": [1, -2, 3.5e2, "x\u00e9\ud83d\ude00", true, false, null], "b": {}} )");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["a"][0].int_value, 1);
  EXPECT_EQ((*v)["a"][1].int_value, -2);
  EXPECT_EQ((*v)["a"][2].double_value, 350.0);
  EXPECT_EQ((*v)["a"][3].string, "x\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE((*v)["a"][4].boolean);
  EXPECT_TRUE((*v)["a"][6].is_null());
  EXPECT_EQ((*v)["b"].type, JsonValue::Type::kObject);
  EXPECT_TRUE((*v)["missing"].is_null());
}

TEST(JsonTestParserTest, RejectsWhatIsNotStrictJson) {
  for (const char* bad : {
           "",
           "[1,]",
           "{\"a\":1,}",
           "[01]",
           "[+1]",
           "[1.]",
           "[.5]",
           "{'a':1}",
           "{\"a\" 1}",
           "{\"a\":1,\"a\":2}",
           "[\"\x01\"]",
           "[\"\\x41\"]",
           "[\"\\ud800\"]",
           "[\"\\udc00\"]",
           "[\"\xff\"]",
           "[\"\xc0\x80\"]",
           "[\"abc]",
           "[1] [2]",
           "[nul]",
           "NaN",
       }) {
    EXPECT_FALSE(ParseJson(bad).ok()) << "accepted: " << bad;
  }
}

TEST(JsonTestParserTest, RejectsExcessiveNesting) {
  EXPECT_FALSE(ParseJson(std::string(300, '[') + std::string(300, ']')).ok());
  EXPECT_TRUE(ParseJson(std::string(100, '[') + std::string(100, ']')).ok());
}

}  // namespace
}  // namespace netcorr::report::testing
