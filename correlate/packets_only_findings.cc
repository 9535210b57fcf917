#include "correlate/packets_only_findings.h"

#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include "absl/strings/str_cat.h"
#include "correlate/tcp_connect_rules.h"
#include "src/model/blind_spot.h"

namespace netcorr::correlate {

namespace {

// The unseen operation as a call object: who (the process whose submission sent the SYN), on
// which flow, and when the wire saw it begin and end.
SyscallEvent UnseenOperation(const SyscallEvent& submission, const FlowKey& flow, TimeNs first,
                             TimeNs last) {
  SyscallEvent c;
  c.pid = submission.pid;
  c.tid = submission.tid;
  c.name = "io_uring";
  c.kind = CallKind::kIoUring;
  c.unseen = true;
  c.entry_ns = first;
  c.exit_ns = last;
  SocketIdentity s;
  s.family = flow.remote.addr.is_v6() ? AF_INET6 : AF_INET;
  s.type = SOCK_STREAM;
  s.transport = Transport::kTcp;
  s.local = flow.local;
  s.remote = flow.remote;
  c.socket = s;
  c.address = flow.remote;
  return c;
}

// Whether the side that sent the SYN is this host, as far as its addresses are known: a SYN
// from elsewhere refused by this host is another story (someone connecting to us).
bool SentFromHere(const Endpoint& initiator, const Endpoint& peer, const LocalAddresses& local) {
  if (local.Contains(initiator.addr)) return true;
  return !local.Contains(peer.addr);
}

}  // namespace

void PacketsOnlyFindings::AddCall(const SyscallEvent& call) {
  if (!IsIoUringSubmission(call)) return;
  submissions_.push_back(call);
  if (submissions_.size() > kMaxSubmissions) submissions_.pop_front();
}

const SyscallEvent* PacketsOnlyFindings::SubmissionAt(TimeNs t) const {
  const SyscallEvent* best = nullptr;
  for (const SyscallEvent& s : submissions_) {
    if (s.entry_ns > t || t > s.exit_ns + kSubmissionSlackNs) continue;
    if (best == nullptr || s.entry_ns > best->entry_ns) best = &s;
  }
  return best;
}

std::vector<Finding> PacketsOnlyFindings::Decide(
    FlowTable& flows, const RuleContext& ctx,
    const std::function<bool(const NormalizedFlowKey&)>& traced_socket, TimeNs horizon) {
  std::vector<Finding> out;
  if (submissions_.empty()) return out;
  flows.ForEach([&](FlowRecord& record) {
    if (record.key.transport != Transport::kTcp || record.last_ts >= horizon) return;
    if (traced_socket(record.key)) return;
    for (TcpConnection& a : record.tcp) {
      if (a.claimed_by != 0 || !a.has_syn || a.initiator_side < 0 || a.syns.empty()) continue;
      const int remote_side = 1 - a.initiator_side;
      const Endpoint& ours = a.initiator_side == 0 ? record.key.a : record.key.b;
      const Endpoint& theirs = a.initiator_side == 0 ? record.key.b : record.key.a;
      if (!SentFromHere(ours, theirs, ctx.local)) continue;
      const PacketRef first_syn = a.syns.items().front();
      const SyscallEvent* submission = SubmissionAt(first_syn.ts);
      if (submission == nullptr) continue;
      // RFC 793, SYN-SENT: a RST acknowledging our SYN refuses the connection; Linux completes
      // the connect (here: its io_uring completion) with ECONNREFUSED. Nothing else the
      // packets show is a failure without seeing what the program did about it.
      if (!a.RstRefusesSyn(remote_side)) continue;
      a.claimed_by = kClaimedByPackets;
      const FlowKey flow{Transport::kTcp, ours, theirs};
      ConnectOutcome o;
      o.call = UnseenOperation(*submission, flow, first_syn.ts, a.dir[remote_side].rst->ts);
      o.ending = ConnectOutcome::Ending::kReturned;
      o.error = ECONNREFUSED;  // what the kernel completes a refused connect with
      o.flow = flow;
      o.end_ns = o.call.exit_ns;
      std::optional<Finding> f = DecideConnect(o, &a, ctx);
      if (!f) continue;
      f->basis = EvidenceBasis::kPacketsOnly;
      f->resolved_by = *submission;
      f->summary = absl::StrCat(
          "a connection to ", theirs.ToString(), " that pid ", submission->pid,
          " made through io_uring (not seen by ptrace) was refused: our SYN was answered by "
          "RST from ",
          theirs.addr.ToString(), "; the packets alone show it");
      out.push_back(*std::move(f));
    }
  });
  return out;
}

}  // namespace netcorr::correlate
