#include "correlate/unexplained.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"

namespace netcorr::correlate {

std::string CaptureGapReason(const RuleContext& ctx) {
  const CaptureStats& c = ctx.capture;
  if (!c.available) {
    return absl::StrCat("no packets were captured (",
                        c.unavailable_reason.empty() ? "capture unavailable" : c.unavailable_reason,
                        ")");
  }
  const uint64_t dropped = c.kernel_dropped + c.interface_dropped;
  if (dropped > 0) {
    return absl::StrCat("the capture lost ", dropped, " packets (kernel dropped ", c.kernel_dropped,
                        ", interface dropped ", c.interface_dropped,
                        "): the evidence may be among them");
  }
  if (!ctx.options.capture_interface.empty() && ctx.options.capture_interface != "any") {
    return absl::StrCat("only interface ", ctx.options.capture_interface,
                        " was captured: this flow may have used another one");
  }
  return "";
}

Finding Unexplained(const SyscallEvent& call, const std::optional<FlowKey>& flow, int outcome_error,
                    const std::string& missing, const RuleContext& ctx) {
  Finding f = NewFinding(FindingKind::kUnexplained, call, flow, outcome_error);
  const std::string gap = CaptureGapReason(ctx);
  // Without a capture nothing was looked for: what a capture would have shown is beside the
  // point, only why there is none.
  f.unexplained_reason = !ctx.capture.available ? gap
                         : gap.empty()          ? missing
                                                : absl::StrCat(missing, "; ", gap);
  const std::string outcome = !call.finished
                                  ? "was still blocked when tracing stopped"
                                  : absl::StrCat("failed with ", ErrnoTag(outcome_error));
  f.summary =
      absl::StrCat(CallName(call), flow ? absl::StrCat(" on ", flow->ToString()) : "", " ", outcome,
                   ctx.capture.available ? ", and the capture does not explain it: "
                                         : ", and there are no packets to explain it: ",
                   f.unexplained_reason);
  if (!ctx.capture.available) {
    f.hint = "run netcorr as root (or with CAP_NET_RAW) so it can capture the packets";
  } else if (ctx.capture.kernel_dropped + ctx.capture.interface_dropped > 0) {
    f.hint = "capture with a narrower filter or a larger buffer, then run it again";
  } else if (!gap.empty()) {
    f.hint = "capture on all interfaces (-i any) to see this flow";
  } else {
    f.hint =
        "the cause is inside this host (socket options, local policy): check the "
        "program's configuration and the host's firewall and routes";
  }
  return f;
}

Finding WithoutPackets(const SyscallEvent& call, const std::optional<FlowKey>& flow,
                       int outcome_error, const RuleContext& ctx) {
  Finding f = NewFinding(FindingKind::kUnexplained, call, flow, outcome_error);
  f.basis = EvidenceBasis::kSyscallsOnly;
  f.unexplained_reason = CaptureGapReason(ctx);
  const std::string outcome =
      !call.finished ? absl::StrCat("was still blocked after ", Seconds(call.duration_ns()))
      : outcome_error == EAGAIN
          ? absl::StrCat("timed out after ", Seconds(call.duration_ns()), " (EAGAIN)")
      : outcome_error != 0 ? absl::StrCat("failed with ", ErrnoTag(outcome_error))
                           : absl::StrCat("was given up after ", Seconds(call.duration_ns()));
  f.summary = absl::StrCat(CallName(call), flow ? absl::StrCat(" on ", flow->ToString()) : "", " ",
                           outcome, "; no packet evidence: ", f.unexplained_reason);
  f.hint =
      "capture the packets to see why: run netcorr live (as root or with CAP_NET_RAW), or "
      "record `tcpdump -i any -w FILE` beside strace and give it to `netcorr analyze --pcap FILE`";
  return f;
}

}  // namespace netcorr::correlate
