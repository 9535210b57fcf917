// Streaming the reports to a FILE gives the same bytes as rendering them to a string, and a
// failed write is reported, not lost.

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/testing/report_test_util.h"
#include "tests/support/requirements.h"

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders

std::string ReadAll(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  return out;
}

// A session large enough that the file output is written in several chunks.
struct BigSession {
  std::vector<SyscallEvent> calls;
  std::vector<Packet> packets;
  std::vector<Finding> findings;
  ReportInput Input() const {
    ReportInput in;
    in.calls = calls;
    in.packets = packets;
    in.findings = findings;
    return in;
  }
};

BigSession MakeBig() {
  BigSession s;
  const FlowKey flow = TcpFlow("10.71.1.2", 40000, "10.71.2.2", 80);
  for (uint64_t i = 0; i < 3000; ++i) {
    s.packets.push_back(
        Tcp(i + 1, kT0 + static_cast<TimeNs>(i) * kUs, flow.local, flow.remote, kTcpAck, 1, 1, 10));
  }
  for (uint64_t i = 0; i < 300; ++i) {
    SyscallEvent c = Call(i + 1, "write", 3, kT0 + static_cast<TimeNs>(i) * 10 * kUs,
                          kT0 + static_cast<TimeNs>(i) * 10 * kUs + 500, 0, 10);
    c.socket = SocketOf(flow);
    s.calls.push_back(c);
  }
  s.findings = {MakeFinding(FindingKind::kResetByPeer, s.calls[100], {1500}, "reset", "hint")};
  return s;
}

TEST(OutputTest, FileOutputEqualsStringOutput) {
  const BigSession s = MakeBig();
  const ReportInput in = s.Input();
  for (bool all : {false, true}) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(WriteText(in, TextOptions{100, false, all}, f).ok());
    const std::string written = ReadAll(f);
    std::fclose(f);
    EXPECT_EQ(written, RenderText(in, TextOptions{100, false, all}));
    if (all) {
      EXPECT_GT(written.size(), 200'000u);  // several chunks
    }
  }
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(WriteJson(in, f).ok());
  const std::string written = ReadAll(f);
  std::fclose(f);
  EXPECT_EQ(written, RenderJson(in));
  EXPECT_GT(written.size(), 200'000u);
}

TEST(OutputTest, WriteErrorsAreReported) {
  std::FILE* full = std::fopen("/dev/full", "w");
  NETCORR_REQUIRE(::netcorr::testing::Requirement{"/dev/full", full != nullptr});
  const BigSession s = MakeBig();
  const absl::Status status = WriteJson(s.Input(), full);
  std::fclose(full);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("writing the report"), std::string::npos) << status;
}

}  // namespace
}  // namespace netcorr::report
