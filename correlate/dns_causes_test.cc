#include "correlate/dns_causes.h"

#include "correlate/test_util.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using testing::Ip;

TEST(SameLookupNameTest, SearchDomainExpansionsAreOneLookup) {
  EXPECT_TRUE(SameLookupName("db", "db.corp.example"));
  EXPECT_TRUE(SameLookupName("db.corp.example", "db"));
  EXPECT_TRUE(SameLookupName("a.test", "a.test.corp.example"));
  EXPECT_TRUE(SameLookupName("A.Test.", "a.test"));
  EXPECT_FALSE(SameLookupName("db", "dbx.corp.example"));  // a label, not a prefix of one
  EXPECT_FALSE(SameLookupName("one.test", "two.test"));
  EXPECT_FALSE(SameLookupName("", "a.test"));
}

TEST(DnsCauseMemoryTest, RemembersEachCauseOnce) {
  DnsCauseMemory m;
  const IpAddress ns = Ip("10.71.2.2");
  EXPECT_FALSE(m.Reported(ns, DnsCauseKind::kRcode, 3, "db"));
  m.Remember(ns, DnsCauseKind::kRcode, 3, "db");
  EXPECT_TRUE(m.Reported(ns, DnsCauseKind::kRcode, 3, "db.corp.example"));
  EXPECT_FALSE(m.Reported(ns, DnsCauseKind::kRcode, 2, "db"));  // SERVFAIL is another cause
  EXPECT_FALSE(m.Reported(Ip("fd71:2::2"), DnsCauseKind::kRcode, 3, "db"));  // another server
  EXPECT_FALSE(m.Reported(ns, DnsCauseKind::kTruncatedTcpFailed, 3, "db"));
  EXPECT_FALSE(m.Reported(ns, DnsCauseKind::kRcode, 3, "web"));
}

TEST(DnsCauseMemoryTest, RefusedIsAboutTheClientNotTheName) {
  DnsCauseMemory m;
  const IpAddress ns = Ip("fd71:2::2");
  m.Remember(ns, DnsCauseKind::kRcode, 5, "a.test");
  EXPECT_TRUE(m.Reported(ns, DnsCauseKind::kRcode, 5, "anything.else"));
}

TEST(DnsCauseMemoryTest, ForgetsTheOldestBeyondItsBound) {
  DnsCauseMemory m;
  const IpAddress ns = Ip("10.71.2.2");
  for (size_t i = 0; i <= DnsCauseMemory::kMaxCauses; ++i) {
    m.Remember(ns, DnsCauseKind::kRcode, 3, "n" + std::to_string(i));
  }
  EXPECT_FALSE(m.Reported(ns, DnsCauseKind::kRcode, 3, "n0"));
  EXPECT_TRUE(m.Reported(ns, DnsCauseKind::kRcode, 3, "n1"));
}

}  // namespace
}  // namespace netcorr::correlate
