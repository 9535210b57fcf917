#include "src/analyze/json_record.h"

#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "src/report/report.h"

namespace netcorr::analyze {
namespace {

constexpr TimeNs kT0 = 1'700'000'000'000'000'000;

Endpoint Ep(const char* ip, uint16_t port) { return Endpoint{*IpAddress::Parse(ip), port}; }

// A session as the live tracer would have it, written by the report's own JSON writer.
std::string Document(std::vector<SyscallEvent>& calls, std::vector<ProcessEvent>& processes) {
  SyscallEvent connect;
  connect.id = 7;
  connect.pid = 42;
  connect.tid = 43;
  connect.name = "connect";
  connect.kind = CallKindOf("connect");
  connect.entry_ns = kT0;
  connect.exit_ns = kT0 + 300;
  connect.fd = 3;
  connect.error = ECONNREFUSED;
  connect.nonblocking = true;
  connect.args = "{sa_family=AF_INET, sin_port=htons(81)}, 16";
  SocketIdentity s;
  s.inode = 991;
  s.family = 2;
  s.type = 1;
  s.transport = Transport::kTcp;
  s.local = Ep("10.71.1.2", 40000);
  s.remote = Ep("10.71.2.2", 81);
  connect.socket = s;
  connect.address = Ep("10.71.2.2", 81);
  SyscallEvent poll;
  poll.id = 8;
  poll.pid = 42;
  poll.tid = 42;
  poll.name = "poll";
  poll.kind = CallKindOf("poll");
  poll.entry_ns = kT0 + 400;
  poll.exit_ns = kT0 + 900;
  poll.finished = false;
  poll.waited.push_back({3, s});
  poll.resolves_call = 7;
  poll.resolved_error = ETIMEDOUT;
  calls = {connect, poll};
  ProcessEvent exited;
  exited.kind = ProcessEvent::Kind::kExited;
  exited.pid = 42;
  exited.time_ns = kT0 + 1000;
  exited.status = 1;
  exited.ended_by_netcorr = true;
  processes = {exited};
  report::ReportInput in;
  in.session.mode = "launch";
  in.session.capture_file = "/tmp/app.pcapng";
  in.calls = calls;
  in.processes = processes;
  return report::RenderJson(in);
}

TEST(JsonRecordTest, ReadsBackWhatTheReportWrote) {
  std::vector<SyscallEvent> calls;
  std::vector<ProcessEvent> processes;
  const std::string doc = Document(calls, processes);
  absl::StatusOr<JsonRecord> r = ParseJsonRecord(doc);
  ASSERT_TRUE(r.ok()) << r.status() << "\n" << doc;
  EXPECT_EQ(r->mode, "launch");
  EXPECT_EQ(r->capture_file, "/tmp/app.pcapng");
  ASSERT_EQ(r->calls.size(), 2u);
  const SyscallEvent& c = r->calls[0];
  EXPECT_EQ(c.id, 7u);
  EXPECT_EQ(c.tid, 43);
  EXPECT_EQ(c.kind, calls[0].kind);
  EXPECT_EQ(c.entry_ns, kT0);
  EXPECT_EQ(c.exit_ns, kT0 + 300);
  EXPECT_EQ(c.error, ECONNREFUSED);
  EXPECT_TRUE(c.finished);
  EXPECT_TRUE(c.nonblocking);
  EXPECT_EQ(c.args, calls[0].args);
  ASSERT_TRUE(c.socket.has_value());
  EXPECT_EQ(*c.socket, *calls[0].socket);
  EXPECT_EQ(c.address, calls[0].address);
  const SyscallEvent& p = r->calls[1];
  EXPECT_FALSE(p.finished);
  ASSERT_EQ(p.waited.size(), 1u);
  EXPECT_EQ(p.waited[0].socket, *calls[0].socket);
  EXPECT_EQ(p.resolves_call, 7u);
  EXPECT_EQ(p.resolved_error, ETIMEDOUT);
  ASSERT_EQ(r->processes.size(), 1u);
  EXPECT_EQ(r->processes[0].kind, ProcessEvent::Kind::kExited);
  EXPECT_EQ(r->processes[0].status, 1);
  EXPECT_TRUE(r->processes[0].ended_by_netcorr);
}

TEST(JsonRecordTest, RefusesWhatIsNotARecord) {
  for (const char* text : {"", "[]", "{\"version\": 2, \"calls\": []}", "{\"version\": 1}",
                           "{\"version\": 1, \"calls\": [{\"id\": 1}]}", "not json",
                           "{\"version\": 1, \"calls\": [], \"processes\": [{\"kind\": \"x\"}]}"}) {
    absl::StatusOr<JsonRecord> r = ParseJsonRecord(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_TRUE(absl::StartsWith(r.status().message(), "not a netcorr --json record"))
        << r.status();
  }
}

}  // namespace
}  // namespace netcorr::analyze
