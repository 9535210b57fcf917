#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "capture/filter.h"
#include "capture/raw_packet.h"
#include "src/model/packet.h"

namespace netcorr::capture {

// Default snap length: the largest headers netcorr decodes (Linux cooked v2 20 + IPv6 40 with
// room for extension headers, or IPv4 60 with options, + TCP 60 with options, ~200 bytes) plus
// a DNS question (name up to 255 bytes) or a TLS ClientHello up to its server_name and
// supported_versions extensions (OpenSSL 3 / curl put them within the first ~500 bytes).
// Payloads beyond that are not kept (a capture file holds handshakes, not user data).
inline constexpr int kDefaultSnaplen = 768;
inline constexpr int kDefaultBufferBytes = 8 << 20;

struct LiveCaptureOptions {
  // Interfaces to capture on (one thread each); empty means "any".
  std::vector<std::string> interfaces;
  int snaplen = kDefaultSnaplen;
  // A network namespace file (/proc/PID/ns/net): each capture thread enters it with
  // setns(CLONE_NEWNET) before pcap_create, so it sees that namespace's interfaces.
  // Empty: the caller's namespace.
  std::string netns_path;
  int buffer_bytes = kDefaultBufferBytes;
  // Filter installed before Open returns; empty expression: capture everything.
  CaptureFilter initial_filter;
  // How long a capture thread sleeps in poll() at most: bounds Stop() and UpdateFilter latency.
  int poll_timeout_ms = 100;
  // After handing over what the ring held, a capture thread lets packets gather this long
  // before it reads again (a filter update or Stop() still wakes it at once). The kernel stamps
  // each packet when it arrives, so times are unchanged; what it saves is a wakeup and a context
  // switch per packet, which on a busy program's CPU cost more than the decoding. 0: read each
  // packet as soon as it arrives.
  int batch_interval_ms = 10;
};

// Called on a capture thread for each packet, in capture order per interface. Must not block
// for long: the kernel ring buffer fills (and drops) while it runs.
using PacketCallback = std::function<void(RawPacket&&)>;

// Live capture through libpcap, one thread per interface, immediate mode, nanosecond
// timestamps. Filters are set by the capture threads themselves between reads, so UpdateFilter
// never races libpcap and returns once the kernel filter is in place on every handle.
class LiveCapture {
 public:
  // Opens and activates every handle (inside options.netns_path), installs the initial
  // filter, and starts delivering packets to `callback`. Missing privilege gives
  // PermissionDenied with a message saying how to grant it (see NoPrivilegeHint()).
  static absl::StatusOr<std::unique_ptr<LiveCapture>> Open(LiveCaptureOptions options,
                                                           PacketCallback callback);
  // Stops (see Stop()).
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  // Compiles and installs `filter` on every handle; returns when all have it (or one failed).
  absl::Status SetFilter(const CaptureFilter& filter);
  // BuildCaptureFilter(terms) then SetFilter. The returned filter says whether userspace
  // filtering is now needed.
  absl::StatusOr<CaptureFilter> UpdateFilter(absl::Span<const FlowTerm> terms);

  // Stops every thread (within ~poll_timeout_ms) and joins them; delivers what was already
  // read. Idempotent.
  void Stop();

  // Sums over the handles: packets delivered to the callback, and pcap_stats' kernel and
  // interface drops. Refreshed by each capture thread every poll interval and at Stop(); after
  // Stop() it returns the final values.
  CaptureStats Stats() const;

  // Link type of each handle, in interface order.
  std::vector<int> link_types() const;

  // The one line telling a user how to allow capture.
  static std::string NoPrivilegeHint();

  class Worker;  // one per interface; defined in live_capture.cc

 private:
  LiveCapture() = default;
  LiveCaptureOptions options_;  // workers keep a reference: set before they start
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace netcorr::capture
