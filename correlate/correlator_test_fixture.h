#pragma once

// The fixture the correlator's tests share: a correlator with the default options, the test
// world's client and server (IPv4, or IPv6 for the second instance of every test), and
// builders for the calls and handshakes the tests feed it. A test file takes all of it, with the
// builders of test_util.h and the matchers the tests use, by `using namespace testing;`.

#include <optional>
#include <string_view>
#include <vector>

#include "correlate/correlator.h"
#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate::testing {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class CorrelatorTest : public ::testing::TestWithParam<bool> {
 protected:
  // A connect call on fd 3 from `local` (nullopt: the tracer could not tell) to `remote`.
  SyscallEvent Connect(uint64_t id, TimeNs entry, TimeNs exit, int error,
                       std::optional<Endpoint> local, const Endpoint& remote, int fd = 3) {
    SyscallEvent e = Call(id, "connect", fd, entry, exit, error);
    e.socket =
        TcpSocket(1000 + fd, local, error == 0 ? std::optional<Endpoint>(remote) : std::nullopt);
    e.address = remote;
    return e;
  }
  SyscallEvent OnTcp(uint64_t id, std::string_view name, TimeNs entry, TimeNs exit, int error,
                     int64_t result, int fd = 3) {
    SyscallEvent e = Call(id, name, fd, entry, exit, error, result);
    e.socket = TcpSocket(1000 + fd, c, s);
    return e;
  }
  // A complete handshake c -> s at t: ids id..id+2, our ISN 100, theirs 900.
  void Handshake(uint64_t id, TimeNs t) {
    corr.AddPacket(TcpPacket(id, t, c, s, kTcpSyn, 100));
    corr.AddPacket(TcpPacket(id + 1, t + kMs, s, c, kTcpSyn | kTcpAck, 900, 101));
    corr.AddPacket(TcpPacket(id + 2, t + 2 * kMs, c, s, kTcpAck, 101, 901));
  }
  std::vector<Finding> All() {
    std::vector<Finding> out = corr.Advance(kT0 + 1000 * kSec);
    std::vector<Finding> rest = corr.Finish();
    out.insert(out.end(), rest.begin(), rest.end());
    SortByImportance(out);  // as the report's summary does
    return out;
  }

  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint s = w.Server(80);
  Correlator corr{CorrelatorOptions{}};
};

}  // namespace netcorr::correlate::testing
